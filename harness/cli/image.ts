import type { Command } from "commander";
import { formatMs, guarded, type EventSink } from "../common/index.ts";
import { DEFAULT_RECIPE, ensureImage, imagePath, listImages, type ImageArtifact } from "../image/index.ts";


function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(0)} MiB`;
}

function describe(a: ImageArtifact): string {
  return [
    `${a.id}`,
    `  dir      ${a.dir}`,
    `  kernel   ${a.kernelVersion}`,
    `  rootfs   ${a.rootfs} (${mib(a.sizeBytes)})`,
    `  ssh key  ${a.sshKey}`,
    `  built    ${a.builtAt}`,
    ...(a.bootArgs.length ? [`  bootArgs ${a.bootArgs.join(" ")}`] : []),
  ].join("\n");
}

export function registerImage(program: Command, ctx: { sink: EventSink }): void {
  const image = program
    .command("image")
    .description("guest root images built from vm-images/ recipes (cached by recipe hash)");

  image
    .command("build")
    .description("build the image of a recipe (or reuse the cached one when the recipe is unchanged)")
    .option("--recipe <name>", "recipe folder under vm-images/", DEFAULT_RECIPE)
    .option("--rebuild", "build again even when a cached image of this recipe exists")
    .option("--json", "print the image artifact as JSON")
    .action(async (opts: { recipe: string; rebuild?: boolean; json?: boolean }) => {
      const t0 = Date.now();
      // Ctrl-C aborts the build, which unmounts and removes its folder before hangar exits.
      const a = await guarded((signal) => ensureImage({ recipe: opts.recipe, sink: ctx.sink, signal, ...(opts.rebuild ? { rebuild: true } : {}) }));
      if (opts.json) process.stdout.write(JSON.stringify(a, null, 2) + "\n");
      else process.stdout.write(`${describe(a)}\n  (${formatMs(Date.now() - t0)})\n`);
    });

  image
    .command("list")
    .description("list the images in the cache, newest first")
    .option("--json", "print the artifacts as JSON")
    .action(async (opts: { json?: boolean }) => {
      const all = await listImages();
      if (opts.json) process.stdout.write(JSON.stringify(all, null, 2) + "\n");
      else if (!all.length) process.stdout.write("no images built yet (hangar image build)\n");
      else process.stdout.write(all.map(describe).join("\n") + "\n");
    });

  image
    .command("path")
    .description("print the cache folder of a recipe's image (exit 1 when it is not built yet)")
    .option("--recipe <name>", "recipe folder under vm-images/", DEFAULT_RECIPE)
    .action(async (opts: { recipe: string }) => {
      const p = await imagePath(opts.recipe);
      process.stdout.write(`${p.dir}\n`);
      if (!p.built) {
        process.stderr.write(`hangar: image ${p.id} is not built yet (hangar image build --recipe ${opts.recipe})\n`);
        process.exitCode = 1;
      }
    });
}
