import { render } from "preact";
import { App } from "./app";
import { adoptMailLink } from "./links";
import "./styles.css";

const root = document.getElementById("app")!;
root.textContent = ""; // the "Loading…" placeholder
adoptMailLink(); // before the first route is read
render(<App />, root);
