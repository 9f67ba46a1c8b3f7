import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/**
 * The template registry: reads `templates/` once, compiles every stage-1 template with an
 * isolated Handlebars instance, and renders them by name. Templates only ever come from the
 * repository's own directory, never from user input.
 *
 * Layout of the directory:
 * - `<name>.mjml.hbs`: an MJML layout (HTML-escaped output), e.g. `digest.mjml.hbs`;
 * - `<name>.txt.hbs`: its plain-text part (compiled with `noEscape`);
 * - `partials/<p>.mjml.hbs` registers partial `p`; `partials/<p>.txt.hbs` registers `p.txt`.
 */

/**
 * The per-reader values, as the literal placeholders stage 1 writes into its output and
 * stage 2 (`personalize.ts`) fills. Nothing else about a reader reaches a template.
 */
export const READER_PLACEHOLDERS = Object.freeze({
  name: '{{reader.name}}',
  preferencesUrl: '{{reader.preferencesUrl}}',
  unsubscribeUrl: '{{reader.unsubscribeUrl}}',
  /** What the reader follows, in words ("China and Trade", "all topics"). */
  following: '{{reader.following}}',
});

/** Stands in for publisher `{` between the stages (see `src/briefings/values.ts`). */
export { BRACE_SENTINEL } from '../briefings/values.js';

/** The name of one per-reader value. */
export type ReaderField = keyof typeof READER_PLACEHOLDERS;

/** Which part of an email a template produces. */
export type TemplateKind = 'mjml' | 'text';

const SUFFIX: Record<TemplateKind, string> = { mjml: '.mjml.hbs', text: '.txt.hbs' };

/** Stable codes for template problems. */
export type TemplateErrorCode = 'TEMPLATE_UNKNOWN' | 'TEMPLATE_INVALID' | 'TEMPLATE_DIR';

/** A template could not be found, compiled or rendered. */
export class TemplateError extends Error {
  constructor(
    readonly code: TemplateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TemplateError';
  }
}

/** Compiled stage-1 templates, rendered by name. */
export interface Templates {
  /** Absolute path of the directory the templates were read from. */
  readonly dir: string;
  /** Names available for `kind`, sorted (e.g. `['digest']`). */
  names(kind: TemplateKind): string[];
  /**
   * Render template `name` of `kind` with `view`.
   * @throws TemplateError `TEMPLATE_UNKNOWN` for a name not in the directory,
   *   `TEMPLATE_INVALID` when the template fails (strict mode: a missing field throws).
   */
  render(name: string, kind: TemplateKind, view: object): string;
}

type Delegate = HandlebarsTemplateDelegate<object>;

/** Stage-1 compile options: a typo or an unknown helper fails loudly instead of rendering empty. */
function compileOptions(kind: TemplateKind): CompileOptions {
  return {
    strict: true,
    knownHelpersOnly: true,
    knownHelpers: { ifReaderName: true },
    noEscape: kind === 'text',
  };
}

function registerHelpers(hb: typeof Handlebars): void {
  // Wording that depends on whether the reader has a name can only be chosen in stage 2:
  // write a stage-2 `{{#if reader.name}}` block around both branches.
  hb.registerHelper('ifReaderName', function (this: unknown, options: Handlebars.HelperOptions) {
    return new hb.SafeString(`{{#if reader.name}}${options.fn(this)}{{else}}${options.inverse(this)}{{/if}}`);
  });
}

/** The repository root: the nearest ancestor of this module holding package.json (src/ or dist/src/). */
async function repoRoot(): Promise<string> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      await access(path.join(dir, 'package.json'));
      return dir;
    } catch {
      dir = path.dirname(dir);
    }
  }
  throw new TemplateError('TEMPLATE_DIR', 'cannot find the repository root (package.json) above src/render');
}

/** `{ name → source }` for files in `dir` ending in `suffix`; missing directory → empty. */
async function readSources(dir: string, suffix: string): Promise<Map<string, string>> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new TemplateError('TEMPLATE_DIR', `cannot read templates from ${dir}`, { cause: err });
  }
  const entries = await Promise.all(
    files
      .filter((f) => f.endsWith(suffix))
      .sort()
      .map(async (f) => [f.slice(0, -suffix.length), await readFile(path.join(dir, f), 'utf8')] as const),
  );
  return new Map(entries);
}

function compile(hb: typeof Handlebars, file: string, source: string, kind: TemplateKind): Delegate {
  try {
    // Compile eagerly so a syntax error surfaces at load time, not at the first send.
    hb.precompile(source, compileOptions(kind));
    return hb.compile<object>(source, compileOptions(kind));
  } catch (err) {
    throw new TemplateError('TEMPLATE_INVALID', `${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function registerPartials(hb: typeof Handlebars, dir: string): Promise<void> {
  const partialsDir = path.join(dir, 'partials');
  for (const kind of ['mjml', 'text'] as const) {
    for (const [name, source] of await readSources(partialsDir, SUFFIX[kind])) {
      const partialName = kind === 'mjml' ? name : `${name}.txt`;
      hb.registerPartial(partialName, compile(hb, `partials/${name}${SUFFIX[kind]}`, source, kind));
    }
  }
}

/**
 * Read and compile every template under `dir` once.
 * @param dir Template directory. @defaultValue `<repo>/templates`
 * @throws TemplateError `TEMPLATE_DIR` when nothing can be read, `TEMPLATE_INVALID` on a syntax error.
 */
export async function loadTemplates(dir?: string): Promise<Templates> {
  const root = path.resolve(dir ?? path.join(await repoRoot(), 'templates'));
  const hb = Handlebars.create();
  registerHelpers(hb);
  await registerPartials(hb, root);
  const compiled: Record<TemplateKind, Map<string, Delegate>> = { mjml: new Map(), text: new Map() };
  for (const kind of ['mjml', 'text'] as const) {
    for (const [name, source] of await readSources(root, SUFFIX[kind])) {
      compiled[kind].set(name, compile(hb, `${name}${SUFFIX[kind]}`, source, kind));
    }
  }
  if (compiled.mjml.size === 0) {
    throw new TemplateError('TEMPLATE_DIR', `no *.mjml.hbs templates in ${root}`);
  }
  return Object.freeze({
    dir: root,
    names: (kind: TemplateKind) => [...compiled[kind].keys()],
    render(name: string, kind: TemplateKind, view: object): string {
      const template = compiled[kind].get(name);
      if (!template) {
        const known = [...compiled[kind].keys()].join(', ') || 'none';
        throw new TemplateError('TEMPLATE_UNKNOWN', `unknown template "${name}${SUFFIX[kind]}" (known: ${known})`);
      }
      try {
        return template(view);
      } catch (err) {
        throw new TemplateError('TEMPLATE_INVALID', `${name}${SUFFIX[kind]}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
  });
}
