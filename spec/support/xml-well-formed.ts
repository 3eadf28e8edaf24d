// A small well-formedness check for the SVG the demo writes: every tag closed in order, attributes
// quoted, only the five predefined entities. Enough to know a browser will parse it, without
// pulling an XML parser into the dev dependencies.
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export function parseXmlElements(xml: string): XmlElement[] {
  const elements: XmlElement[] = [];
  const open: string[] = [];
  const token =
    /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->|<\?xml[^>]*\?>|([<>])/g;
  let last = 0;
  const checkText = (text: string, at: number) => {
    for (const entity of text.matchAll(/&([^;\s]*);?/g)) {
      if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(entity[0])) {
        throw new Error(`bad entity ${JSON.stringify(entity[0])} near offset ${at}`);
      }
    }
  };
  for (const match of xml.matchAll(token)) {
    checkText(xml.slice(last, match.index), last);
    last = match.index + match[0].length;
    if (match[5]) throw new Error(`stray ${JSON.stringify(match[5])} at offset ${match.index}`);
    const [, closing, name, attributeText, selfClosing] = match;
    if (!name) continue; // a comment or the XML declaration
    if (closing) {
      const expected = open.pop();
      if (expected !== name)
        throw new Error(`</${name}> closes <${expected ?? 'nothing'}> at ${match.index}`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of (attributeText ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (key! in attributes) throw new Error(`duplicate attribute ${key} on <${name}>`);
      checkText(value!, match.index);
      attributes[key!] = value!;
    }
    elements.push({ name, attributes });
    if (!selfClosing) open.push(name);
  }
  checkText(xml.slice(last), last);
  if (open.length > 0) throw new Error(`unclosed <${open.join('>, <')}>`);
  if (elements[0]?.name !== 'svg') throw new Error(`root is <${elements[0]?.name}>, expected <svg>`);
  return elements;
}
