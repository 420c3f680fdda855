// `lbarray demo`: the whole array in a lab with a live dashboard (engine/demo/demo.ts).
export { runDemo, type DemoOptions } from '../../demo/demo.js';
