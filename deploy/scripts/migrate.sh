#!/usr/bin/env bash
# Run `taskboard migrate` as a one-off ECS task on IMAGE, before the service rolls.
#   usage: deploy/scripts/migrate.sh IMAGE    (from deploy/, after terraform init)
# The saved plan that the approved apply runs must stay valid, so this changes no
# Terraform state: it registers a revision of the migrate family that differs from the
# current one only in its image, runs it, and fails unless the container exits 0.
# On the very first deploy there is no cluster yet: the caller runs it after the apply.
set -euo pipefail
image=${1:?usage: migrate.sh IMAGE}

cluster="$(terraform output -raw ecs_cluster_name)"
current="$(terraform output -raw migrate_task_definition_arn)"
provider="$(terraform output -raw capacity_provider_name)"
subnets="$(terraform output -json task_subnet_ids | python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)))')"
sg="$(terraform output -raw task_security_group_id)"

# Keep only what register-task-definition accepts; swap the image.
spec="$(aws ecs describe-task-definition --task-definition "$current" --query taskDefinition --output json \
  | IMAGE="$image" python3 -c '
import json, os, sys
td = json.load(sys.stdin)
keep = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
        "placementConstraints", "requiresCompatibilities", "cpu", "memory", "runtimePlatform")
out = {k: td[k] for k in keep if td.get(k)}
for c in out["containerDefinitions"]:
    c["image"] = os.environ["IMAGE"]
print(json.dumps(out))')"
taskdef="$(aws ecs register-task-definition --cli-input-json "$spec" \
  --query 'taskDefinition.taskDefinitionArn' --output text)"
echo "migrate task definition: ${taskdef}"

task_arn="$(aws ecs run-task \
  --cluster "$cluster" \
  --task-definition "$taskdef" \
  --capacity-provider-strategy "capacityProvider=${provider},weight=1" \
  --network-configuration "awsvpcConfiguration={subnets=[${subnets}],securityGroups=[${sg}],assignPublicIp=DISABLED}" \
  --started-by "github-${GITHUB_RUN_ID:-manual}" \
  --query 'tasks[0].taskArn' --output text)"
echo "migrate task: ${task_arn}"
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task_arn"
exit_code="$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task_arn" \
  --query 'tasks[0].containers[0].exitCode' --output text)"
echo "migrate exit code: ${exit_code}"
# The one-off revision is not Terraform's: deregister it so the family lists only its own.
aws ecs deregister-task-definition --task-definition "$taskdef" >/dev/null
test "$exit_code" = "0"
