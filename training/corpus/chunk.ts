/** Raw-text chunks for denoising pretraining. */
const CHUNK_CHARS = 4096;

/** Cuts text into chunks of about CHUNK_CHARS at line boundaries. */
export function chunkText(text: string, size = CHUNK_CHARS): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length) {
      const newline = text.lastIndexOf("\n", end);
      end = newline > start ? newline + 1 : (text.indexOf("\n", end) + 1 || text.length);
    }
    const chunk = text.slice(start, end);
    if (chunk.trim()) chunks.push(chunk);
    start = end;
  }
  return chunks;
}
