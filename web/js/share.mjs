// Share links, as web/README.md specifies them (a contract other pages build
// on): "#v1=" + base64url without padding of the raw DEFLATE (RFC 1951, no
// zlib header) of the UTF-8 JSON {"manifest": "...", "settings": {...}}.
//
// Plain ES module, no dependencies: the browser's own CompressionStream does
// the DEFLATE, so the playground's wasm carries no compressor. The
// playground bundles it with the editor; the docs element can import it.

export const PREFIX = "v1=";

/** Decoded links may not grow past this many bytes (a DEFLATE bomb stops here). */
export const MAX_DECODED_BYTES = 16 * 1024 * 1024;

function toBase64Url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new Error("it is not base64url");
  const base64 = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  let binary;
  try {
    binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  } catch {
    throw new Error("it is not base64url");
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The fragment (without "#") for a JSON payload string.
 * @param {string} json `{"manifest": ..., "settings": ...}`
 * @returns {Promise<string>}
 */
export async function encodeShare(json) {
  const stream = new Blob([json]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  return PREFIX + toBase64Url(bytes);
}

/**
 * The JSON payload string of a fragment (with or without "#"), or null when
 * the fragment is not a share link. Throws an Error saying why a link does
 * not decode.
 * @param {string} fragment
 * @returns {Promise<string | null>}
 */
export async function decodeShare(fragment) {
  const data = fragment.replace(/^#/, "");
  if (!data.startsWith(PREFIX)) return null;
  const bytes = fromBase64Url(data.slice(PREFIX.length).trim());
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_DECODED_BYTES) {
        await reader.cancel();
        throw new RangeError(`it decodes to more than ${MAX_DECODED_BYTES >> 20} MB`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof RangeError) throw new Error(e.message);
    throw new Error("it is not raw DEFLATE data");
  }
  const joined = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(joined);
  } catch {
    throw new Error("it is not UTF-8 text");
  }
}
