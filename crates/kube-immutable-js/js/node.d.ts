// node.js exports what index.js does.
export * from "./index.js";
