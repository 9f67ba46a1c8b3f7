import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';

/** Server-rendered pages from `templates/pages/<name>.hbs`, inside `layout.hbs`. Output is escaped. */
export interface Pages {
  render(name: string, view: PageView): string;
}

export interface PageView {
  title: string;
  listName?: string;
  postalLines?: string[];
  [field: string]: unknown;
}

/** Read and compile every page once (templates come from the repository only). */
export async function loadPages(templatesDir: string): Promise<Pages> {
  const dir = path.join(templatesDir, 'pages');
  const hb = Handlebars.create();
  const compiled = new Map<string, HandlebarsTemplateDelegate<object>>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.hbs')).sort()) {
    const source = await readFile(path.join(dir, file), 'utf8');
    const template = hb.compile<object>(source, { knownHelpersOnly: true });
    template({}); // compile now: a syntax error fails at start, not at the first visitor
    compiled.set(file.slice(0, -'.hbs'.length), template);
  }
  const layout = compiled.get('layout');
  if (!layout) throw new Error(`templates/pages/layout.hbs is missing in ${dir}`);
  return {
    render(name, view) {
      const page = compiled.get(name);
      if (!page) throw new Error(`unknown page template "${name}"`);
      return layout({ lang: 'en', ...view, body: page(view) });
    },
  };
}
