import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url))

export interface Manifest {
  readonly name: string
  readonly version: string
  readonly private?: boolean
  readonly peerDependencies?: Readonly<Record<string, string>>
}

export const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest

/** Every workspace package that is not private: what `publish-packages` releases. */
export const publishable: ReadonlyArray<Manifest> = ["packages", "apps"]
  .flatMap((group) => readdirSync(join(repoRoot, group)).map((folder) => join(repoRoot, group, folder)))
  .map(readManifest)
  .filter((manifest) => manifest.private !== true)
