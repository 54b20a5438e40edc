/**
 * True when the client prefers an HTML page to JSON: it names `text/html` explicitly with a quality at least as
 * high as any JSON type it names. Browsers do (`text/html,...,*\/*;q=0.8`); API clients and curl (`*\/*`) do not.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept || !accept.toLowerCase().includes('text/html')) return false;
  let html = 0;
  let json = 0;
  for (const range of accept.split(',')) {
    const [typeText, ...params] = range.split(';');
    const type = typeText!.trim().toLowerCase();
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim() === 'q') q = Number(value) || 0;
    }
    if (type === 'text/html') html = Math.max(html, q);
    else if (type === 'application/json' || type === 'application/problem+json') json = Math.max(json, q);
  }
  return html > 0 && html >= json;
}
