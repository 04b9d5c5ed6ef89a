#!/usr/bin/env node
import { main } from '../dist/index.js';

process.exitCode = await main(process.argv.slice(2));
// Whatever a stopped command left waiting (a request to a server that never answers) must not keep
// the process alive: once main has answered, exit within a second even if something still is.
setTimeout(() => process.exit(), 1000).unref();
