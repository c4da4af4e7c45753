// Builds the dashboard's static assets into dist/: the page, its script and styles, and uPlot's own
// distribution files. No bundler: the page is a few hundred lines of plain ES modules, and uPlot ships a
// ready browser build, so a copy is all a build needs (and nothing can differ between a build and a source read).
// Scripts are checked for syntax first, so a typo fails `dotnet build` rather than the page in a browser.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'src');
const out = join(here, 'dist');
const uplot = join(here, 'node_modules', 'uplot', 'dist');

for (const file of readdirSync(source).filter(f => f.endsWith('.js'))) {
  execFileSync(process.execPath, ['--check', join(source, file)], { stdio: 'inherit' });
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(source, out, { recursive: true });
cpSync(join(uplot, 'uPlot.iife.min.js'), join(out, 'uPlot.iife.min.js'));
cpSync(join(uplot, 'uPlot.min.css'), join(out, 'uPlot.min.css'));
// The MSBuild target's output marker: written last, so a build that failed half-way is redone.
writeFileSync(join(out, '.built'), new Date().toISOString() + '\n');
console.log(`ops dashboard: ${readdirSync(out).length - 1} files in ${out}`);
