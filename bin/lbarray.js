#!/usr/bin/env node
// The lbarray command: the compiled CLI (npm install builds dist/).
import('../dist/engine/cli/main.js');
