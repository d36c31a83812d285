// The labelling web app: `startApp(ws)` serves the UI and the JSON API on 127.0.0.1.
export { startApp, uiDir, type App, type AppOptions } from './server.js';
export { inside } from './files.js';
