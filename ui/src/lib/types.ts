// Import from ./bindings. This file is left only for CardDialog.svelte, which is being changed
// elsewhere at the same time; delete it once that change has moved its import to ./bindings.
export type * from "./bindings";
