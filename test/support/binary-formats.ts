/**
 * Just enough of PE and Mach-O to check cross-platform outputs structurally on a machine that cannot
 * run them: where the injected SEA blob is, and whether a code signature is still there.
 */

export interface Located {
  offset: number;
  size: number;
}

/** The RT_RCDATA resource `name` of a PE file (postject's placement on Windows). */
export function peResource(buf: Buffer, name: string): Located | undefined {
  if (buf.toString('latin1', 0, 2) !== 'MZ') throw new Error('not a PE file (no MZ header)');
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error('not a PE file (no PE signature)');
  const coff = pe + 4;
  const sections = buf.readUInt16LE(coff + 2);
  const optionalSize = buf.readUInt16LE(coff + 16);
  const optional = coff + 20;
  const pe32plus = buf.readUInt16LE(optional) === 0x20b;
  const directories = optional + (pe32plus ? 112 : 96);
  const resourceRva = buf.readUInt32LE(directories + 2 * 8);
  const sectionTable = optional + optionalSize;
  const toOffset = (rva: number): number => {
    for (let s = 0; s < sections; s++) {
      const h = sectionTable + s * 40;
      const va = buf.readUInt32LE(h + 12);
      const rawSize = buf.readUInt32LE(h + 16);
      const rawPtr = buf.readUInt32LE(h + 20);
      const vsize = Math.max(buf.readUInt32LE(h + 8), rawSize);
      if (rva >= va && rva < va + vsize) return rva - va + rawPtr;
    }
    throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
  };
  const root = toOffset(resourceRva);
  const entries = (dir: number): { id: number | string; target: number; isDir: boolean }[] => {
    const named = buf.readUInt16LE(dir + 12);
    const ids = buf.readUInt16LE(dir + 14);
    const out = [];
    for (let k = 0; k < named + ids; k++) {
      const e = dir + 16 + k * 8;
      const nameField = buf.readUInt32LE(e);
      const offsetField = buf.readUInt32LE(e + 4);
      let id: number | string = nameField;
      if (nameField & 0x80000000) {
        const at = root + (nameField & 0x7fffffff);
        id = buf.toString('utf16le', at + 2, at + 2 + buf.readUInt16LE(at) * 2);
      }
      out.push({ id, target: root + (offsetField & 0x7fffffff), isDir: (offsetField & 0x80000000) !== 0 });
    }
    return out;
  };
  const rcdata = entries(root).find((e) => e.id === 10 && e.isDir);
  const named = rcdata && entries(rcdata.target).find((e) => e.id === name && e.isDir);
  const language = named && entries(named.target)[0];
  if (!language || language.isDir) return undefined;
  return { offset: toOffset(buf.readUInt32LE(language.target)), size: buf.readUInt32LE(language.target + 4) };
}

/** Size of the PE certificate table (the Authenticode signature); 0 when unsigned. */
export function peSignatureSize(buf: Buffer): number {
  const pe = buf.readUInt32LE(0x3c);
  const optional = pe + 24;
  const pe32plus = buf.readUInt16LE(optional) === 0x20b;
  return buf.readUInt32LE(optional + (pe32plus ? 112 : 96) + 4 * 8 + 4);
}

const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;

function machoCommands(buf: Buffer): { cmd: number; at: number }[] {
  if (buf.readUInt32LE(0) !== 0xfeedfacf) throw new Error('not a thin 64-bit little-endian Mach-O file');
  const count = buf.readUInt32LE(16);
  const out = [];
  for (let k = 0, at = 32; k < count; k++) {
    out.push({ cmd: buf.readUInt32LE(at), at });
    at += buf.readUInt32LE(at + 4);
  }
  return out;
}

/** The section `section` of segment `segment` (postject's placement on macOS: NODE_SEA/__NODE_SEA_BLOB). */
export function machoSection(buf: Buffer, segment: string, section: string): Located | undefined {
  const cstr = (at: number): string => buf.toString('latin1', at, at + 16).replace(/\0.*$/s, '');
  for (const { cmd, at } of machoCommands(buf)) {
    if (cmd !== LC_SEGMENT_64 || cstr(at + 8) !== segment) continue;
    const sections = buf.readUInt32LE(at + 64);
    for (let s = 0; s < sections; s++) {
      const h = at + 72 + s * 80;
      if (cstr(h) === section) return { offset: buf.readUInt32LE(h + 48), size: Number(buf.readBigUInt64LE(h + 40)) };
    }
  }
  return undefined;
}

export function machoSigned(buf: Buffer): boolean {
  return machoCommands(buf).some((c) => c.cmd === LC_CODE_SIGNATURE);
}
