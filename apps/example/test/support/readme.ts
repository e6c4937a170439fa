import { readFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot } from "./workspace.js"

const readme = () => readFileSync(join(repoRoot, "README.md"), "utf8")

/** The text under `heading` (e.g. "### Testing with the fake") up to the next heading of its level or above. */
const section = (heading: string): string => {
  const text = readme()
  const start = text.indexOf(`\n${heading}\n`)
  if (start === -1) throw new Error(`README.md has no "${heading}" section`)
  const level = heading.indexOf(" ")
  const rest = text.slice(start + heading.length + 2)
  const end = rest.search(new RegExp(`^#{1,${level}} `, "m"))
  return end === -1 ? rest : rest.slice(0, end)
}

/** The fenced code blocks of one language in a README section, in order. */
export const codeBlocks = (heading: string, language: string): ReadonlyArray<string> => {
  const blocks = [...section(heading).matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, "gm"))].map(
    (match) => match[1] ?? ""
  )
  if (blocks.length === 0) throw new Error(`README.md's "${heading}" has no \`\`\`${language} block`)
  return blocks
}

/** A package spec of an install line, `name@range` (the name may be scoped). */
export interface Spec {
  readonly name: string
  readonly range: string
}

const specOf = (word: string): Spec => {
  const at = word.lastIndexOf("@")
  return at > 0 ? { name: word.slice(0, at), range: word.slice(at + 1) } : { name: word, range: "*" }
}

/** The packages an `npm install [--save-dev] …` or `pnpm add …` line installs, and whether as development dependencies. */
export const installLine = (line: string): { readonly dev: boolean; readonly specs: ReadonlyArray<Spec> } => {
  const [tool, verb, ...words] = line.trim().split(/\s+/)
  const command = `${tool} ${verb}`
  if (command !== "npm install" && command !== "pnpm add") throw new Error(`not an install line: ${line}`)
  return {
    dev: words.includes("--save-dev"),
    specs: words.filter((word) => !word.startsWith("-")).map(specOf)
  }
}

/**
 * Code blocks joined into one module. ES imports may follow statements, but a name imported twice is an
 * error, so the blocks' one-line imports are merged per module and put first.
 */
export const asOneModule = (blocks: ReadonlyArray<string>): string => {
  const imports = new Map<string, Set<string>>()
  const body: Array<string> = []
  for (const line of blocks.flatMap((block) => block.split("\n"))) {
    const match = /^import \{ (.+) \} from "(.+)"$/.exec(line)
    if (match === null) body.push(line)
    else {
      const [, names = "", from = ""] = match
      const merged = imports.get(from) ?? new Set<string>()
      for (const name of names.split(", ")) merged.add(name)
      imports.set(from, merged)
    }
  }
  const head = [...imports].map(([from, names]) => `import { ${[...names].join(", ")} } from "${from}"`)
  return [...head, ...body].join("\n")
}
