/**
 * `deno task services`: writes what is generated from the service table
 * (scripts/services.ts): deno.json's script tasks, docs/configuration.md,
 * the README's script table (between its markers), compose.yaml's
 * permission flags, deploy/prometheus/prometheus.yml and the Kubernetes
 * manifests of deploy/kubernetes/. `--check` writes
 * nothing and exits 1 naming each file that is out of date. Each text is
 * put through `deno fmt`, so the files stay as `deno fmt --check` wants them.
 *
 *   deno run --allow-read --allow-write --allow-env --allow-run scripts/dev/services_generate.ts [--check]
 * @module
 */
import { prometheusConfig } from "../../deploy/prometheus/scrape_config.ts";
import { kubernetesFiles } from "../../deploy/kubernetes/manifests.ts";
import { SCRIPTS } from "../services.ts";
import { pipelineTopics } from "../topology.ts";
import {
  composeWithPermissions,
  configurationDoc,
  mergeTasks,
  readmeBlock,
  replaceReadmeBlock,
} from "./services_render.ts";

const ROOT = new URL("../../", import.meta.url);

/** `text` as `deno fmt` formats a file of extension `ext`, with the repository's settings. */
async function formatted(text: string, ext: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", `--ext=${ext}`, "-"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`deno fmt --ext=${ext}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Each generated file's path and its text as the table makes it, from the files as they are. */
export async function generatedFiles(): Promise<{ path: string; text: string }[]> {
  const read = (path: string) => Deno.readTextFile(new URL(path, ROOT));
  const denoJson = JSON.parse(await read("deno.json"));
  denoJson.tasks = mergeTasks(denoJson.tasks, SCRIPTS);
  const texts: [string, string, string][] = [
    ["deno.json", "json", JSON.stringify(denoJson, null, 2) + "\n"],
    ["docs/configuration.md", "md", configurationDoc(SCRIPTS)],
    ["README.md", "md", replaceReadmeBlock(await read("README.md"), readmeBlock(SCRIPTS))],
    ["compose.yaml", "yaml", composeWithPermissions(await read("compose.yaml"), SCRIPTS)],
    ...kubernetesFiles(SCRIPTS, pipelineTopics()).map((f) =>
      [f.path, "yaml", f.text] as [string, string, string]
    ),
  ];
  return [
    ...await Promise.all(
      texts.map(async ([path, ext, text]) => ({ path, text: await formatted(text, ext) })),
    ),
    // Prometheus's file is the scrape config's text exactly (tests/prometheus_scrape_test.ts).
    { path: "deploy/prometheus/prometheus.yml", text: prometheusConfig() },
  ];
}

async function main(): Promise<number> {
  const check = Deno.args.includes("--check");
  let stale = 0;
  for (const file of await generatedFiles()) {
    const url = new URL(file.path, ROOT);
    const now = await Deno.readTextFile(url).catch(() => undefined);
    if (now === file.text) continue;
    stale++;
    if (check) console.error(`${file.path} is out of date: deno task services`);
    else {
      await Deno.mkdir(new URL(".", url), { recursive: true });
      await Deno.writeTextFile(url, file.text);
      console.log(`wrote ${file.path}`);
    }
  }
  return check && stale > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
