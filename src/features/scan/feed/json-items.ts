// Reads a large JSON document one top-level item at a time: the members of a top-level object
// (key and value) or the elements of a top-level array, each value handed over as its own JSON
// text. The Debian security tracker's file (about 100 MB, one member per source package) and big
// arrays of OSV records are imported this way without holding the whole document. Bytes are
// scanned once; only the current item is buffered.
export interface JsonItem {
  /** The member's name, for an object; undefined for an array element. */
  readonly key?: string;
  /** The value's JSON text. */
  readonly text: string;
}

export class JsonItemsError extends Error {}

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

/** Yields the top-level items of the JSON document the chunks spell. */
export async function* jsonItems(source: AsyncIterable<Uint8Array>, maxItemBytes = 512 * 1024 * 1024): AsyncGenerator<JsonItem> {
  // States: before the document, between items (expecting a key or a value), in a key, after a
  // key (expecting ':'), in a value (tracking nesting and strings), and after the document.
  type State = 'start' | 'item' | 'key' | 'colon' | 'value' | 'done';
  let state: State = 'start';
  let container: 'object' | 'array' = 'object';
  let key = '';
  let keyBytes: number[] = [];
  let escape = false;
  let inString = false;
  let depth = 0;
  let parts: Buffer[] = [];
  let size = 0;
  let valueStart = -1;
  const decoder = new TextDecoder('utf-8', { fatal: true });

  for await (const raw of source) {
    const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (state === 'value') valueStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      switch (state) {
        case 'start':
          if (WS.has(b) || (b === 0xef || b === 0xbb || b === 0xbf)) continue; // whitespace, or a UTF-8 BOM
          if (b === 0x7b) { container = 'object'; state = 'item'; continue; }
          if (b === 0x5b) { container = 'array'; state = 'item'; continue; }
          throw new JsonItemsError('the document is neither a JSON object nor an array');
        case 'item':
          if (WS.has(b)) continue;
          if ((b === 0x7d && container === 'object') || (b === 0x5d && container === 'array')) { state = 'done'; continue; }
          if (container === 'object') {
            if (b !== 0x22) throw new JsonItemsError('expected a member name');
            state = 'key';
            keyBytes = [];
            escape = false;
            continue;
          }
          state = 'value';
          depth = 0;
          inString = false;
          escape = false;
          parts = [];
          size = 0;
          valueStart = i;
          i--; // the first byte is part of the value
          continue;
        case 'key':
          if (escape) { escape = false; keyBytes.push(b); continue; }
          if (b === 0x5c) { escape = true; keyBytes.push(b); continue; }
          if (b === 0x22) {
            key = JSON.parse(`"${decoder.decode(Uint8Array.from(keyBytes))}"`) as string;
            state = 'colon';
            continue;
          }
          keyBytes.push(b);
          if (keyBytes.length > 64 * 1024) throw new JsonItemsError('a member name is longer than 64 KiB');
          continue;
        case 'colon':
          if (WS.has(b)) continue;
          if (b !== 0x3a) throw new JsonItemsError(`expected ':' after the member name ${JSON.stringify(key.slice(0, 80))}`);
          state = 'value';
          depth = 0;
          inString = false;
          escape = false;
          parts = [];
          size = 0;
          valueStart = i + 1;
          continue;
        case 'value': {
          if (inString) {
            if (escape) escape = false;
            else if (b === 0x5c) escape = true;
            else if (b === 0x22) inString = false;
            continue;
          }
          if (b === 0x22) { inString = true; continue; }
          if (b === 0x7b || b === 0x5b) { depth++; continue; }
          const closesContainer = (b === 0x7d && container === 'object') || (b === 0x5d && container === 'array');
          if (b === 0x7d || b === 0x5d) {
            if (depth > 0) { depth--; continue; }
            if (!closesContainer) throw new JsonItemsError('unbalanced brackets');
          }
          if (depth === 0 && (b === 0x2c || closesContainer)) {
            parts.push(chunk.subarray(valueStart, i));
            const text = decoder.decode(Buffer.concat(parts)).trim();
            if (!text) throw new JsonItemsError('an empty value');
            yield container === 'object' ? { key, text } : { text };
            parts = [];
            size = 0;
            state = closesContainer ? 'done' : 'item';
          }
          continue;
        }
        case 'done':
          if (!WS.has(b)) throw new JsonItemsError('data after the end of the document');
          continue;
      }
    }
    if (state === 'value') {
      const tail = chunk.subarray(valueStart);
      parts.push(tail);
      size += tail.length;
      if (size > maxItemBytes) throw new JsonItemsError(`one item is larger than ${maxItemBytes} bytes`);
    }
  }
  if ((state as string) !== 'done') throw new JsonItemsError('the document ended early');
}
