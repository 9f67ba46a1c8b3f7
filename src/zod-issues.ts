import type { z } from 'zod';

/** One readable line per zod issue: `path.to.field: message`. Never echoes input values. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : '(root)';
    return `${where}: ${issue.message}`;
  });
}
