import { mount } from "svelte";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("missing #app element");

// The customer display (src-tauri/customer_window.rs) loads the same page with #customer: it
// mounts its own screen, which calls nothing, and none of the till's screens.
const root =
  window.location.hash === "#customer"
    ? import("./screens/customer/CustomerScreen.svelte")
    : import("./App.svelte");

export default root.then(({ default: Screen }) => mount(Screen, { target }));
