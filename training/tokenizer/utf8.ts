/**
 * UTF-8 that round-trips every JavaScript string.
 * Valid text is plain UTF-8. A lone surrogate (impossible in a valid UTF-8 file, possible in a
 * JS string) is written as its 3-byte generalized UTF-8 form (WTF-8) and read back as itself,
 * so decode(encode(s)) === s for any string. Invalid byte sequences (a model may emit them)
 * decode to U+FFFD, one per bad byte.
 */

export function utf8Bytes(text: string, out: number[] = []): number[] {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out.push(c);
    } else if (c < 0x800) {
      out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = text.charCodeAt(i + 1);
        if ((d & 0xfc00) === 0xdc00) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
          continue;
        }
      }
      out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
  }
  return out;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

export function utf8Decode(bytes: Uint8Array): string {
  // Fast path: well-formed UTF-8 without surrogate encodings.
  let hasSurrogate = false;
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xed && bytes[i + 1] >= 0xa0) {
      hasSurrogate = true;
      break;
    }
  }
  if (!hasSurrogate) {
    try {
      return decoder.decode(bytes);
    } catch {
      // fall through to the lenient decoder
    }
  }
  return lenientDecode(bytes);
}

function lenientDecode(b: Uint8Array): string {
  const units: number[] = [];
  const n = b.length;
  const cont = (k: number) => k < n && (b[k] & 0xc0) === 0x80;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      units.push(c);
      i++;
    } else if (c >= 0xc2 && c < 0xe0 && cont(i + 1)) {
      units.push(((c & 31) << 6) | (b[i + 1] & 63));
      i += 2;
    } else if (c >= 0xe0 && c < 0xf0 && cont(i + 1) && cont(i + 2)) {
      const cp = ((c & 15) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63);
      if (cp < 0x800) {
        units.push(0xfffd);
        i++;
      } else {
        units.push(cp); // includes WTF-8 surrogates (ED A0..BF xx)
        i += 3;
      }
    } else if (c >= 0xf0 && c < 0xf5 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      const cp = ((c & 7) << 18) | ((b[i + 1] & 63) << 12) | ((b[i + 2] & 63) << 6) | (b[i + 3] & 63);
      if (cp < 0x10000 || cp > 0x10ffff) {
        units.push(0xfffd);
        i++;
      } else {
        const v = cp - 0x10000;
        units.push(0xd800 + (v >> 10), 0xdc00 + (v & 1023));
        i += 4;
      }
    } else {
      units.push(0xfffd);
      i++;
    }
  }
  let s = "";
  for (let k = 0; k < units.length; k += 8192) s += String.fromCharCode(...units.slice(k, k + 8192));
  return s;
}
