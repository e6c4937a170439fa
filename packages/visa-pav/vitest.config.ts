export { sharingModules as default } from "../../vitest.shared.js"
