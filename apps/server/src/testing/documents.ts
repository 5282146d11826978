import { crc32, createDeflateRaw, deflateRawSync, deflateSync } from 'node:zlib';
import JSZip from 'jszip';

/** A minimal valid PDF with one page whose content stream draws `text` in Helvetica. */
export function makePdf(text: string): Buffer {
  const escaped = text.replace(/[\\()]/g, (character) => `\\${character}`);
  const content = `BT /F1 24 Tf 72 720 Td (${escaped}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(pdf.length);
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** The two package parts every Word document has besides its body. */
const docxContentTypes =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
  '</Types>';
const docxPackageRelationships =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
  '</Relationships>';

/** The smallest Word document mammoth reads: content types, the package relationship and one paragraph. */
export async function makeDocx(paragraphs: readonly string[]): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('[Content_Types].xml', docxContentTypes);
  zip.file('_rels/.rels', docxPackageRelationships);
  const body = paragraphs.map((paragraph) => `<w:p><w:r><w:t>${paragraph}</w:t></w:r></w:p>`).join('');
  zip.file(
    'word/document.xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
      `<w:body>${body}</w:body></w:document>`,
  );
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

const glyphs: Record<string, string> = {
  C: '01110,10001,10000,10000,10000,10001,01110',
  E: '11111,10000,10000,11110,10000,10000,11111',
  H: '10001,10001,10001,11111,10001,10001,10001',
  L: '10000,10000,10000,10000,10000,10000,11111',
  O: '01110,10001,10001,10001,10001,10001,01110',
  R: '11110,10001,10001,11110,10100,10010,10001',
  ' ': '00000,00000,00000,00000,00000,00000,00000',
};

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, checksum]);
}

/** A grey-scale PNG of `text` in a 5×7 pixel font scaled up, black on white: large enough for OCR. */
export function makeTextPng(text: string, scale = 8): Buffer {
  const columns = text.length * 6 + 4;
  const width = columns * scale;
  const height = 11 * scale;
  const stride = width + 1;
  const raw = Buffer.alloc(stride * height, 255);
  for (let row = 0; row < height; row++) raw[row * stride] = 0;
  [...text].forEach((character, position) => {
    const glyph = glyphs[character];
    if (!glyph) throw new Error(`makeTextPng has no glyph for '${character}'`);
    glyph.split(',').forEach((bits, glyphRow) => {
      [...bits].forEach((bit, glyphColumn) => {
        if (bit !== '1') return;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const x = (2 + position * 6 + glyphColumn) * scale + dx;
            const y = (2 + glyphRow) * scale + dy;
            raw[y * stride + 1 + x] = 0;
          }
        }
      });
    });
  });
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** One entry of a hand-written ZIP: its deflated bytes with the CRC and size of what they unpack to. */
interface ZipPart {
  readonly name: string;
  readonly deflated: Buffer;
  readonly crc: number;
  readonly size: number;
}

const zipPart = (name: string, text: string): ZipPart => {
  const data = Buffer.from(text);
  return { name, deflated: deflateRawSync(data), crc: crc32(data), size: data.length };
};

/** A plain ZIP (deflate, no ZIP64) of the parts: local headers and data, then the central directory. */
function zipArchive(parts: readonly ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const name = Buffer.from(part.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(part.crc, 14);
    local.writeUInt32LE(part.deflated.length, 18);
    local.writeUInt32LE(part.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(part.crc, 16);
    central.writeUInt32LE(part.deflated.length, 20);
    central.writeUInt32LE(part.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, part.deflated);
    directory.push(central, name);
    offset += local.length + name.length + part.deflated.length;
  }
  const directoryBytes = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directoryBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directoryBytes, end]);
}

/** Deflates `count` copies of `chunk` as one stream, without ever holding the unpacked whole. */
async function deflateRepeated(head: Buffer, chunk: Buffer, count: number, tail: Buffer) {
  const stream = createDeflateRaw({ level: 9 });
  const output: Buffer[] = [];
  stream.on('data', (data: Buffer) => output.push(data));
  const ended = new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject));
  let crc = crc32(head);
  stream.write(head);
  for (let index = 0; index < count; index++) {
    crc = crc32(chunk, crc);
    if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve));
  }
  crc = crc32(tail, crc);
  stream.end(tail);
  await ended;
  return { deflated: Buffer.concat(output), crc, size: head.length + chunk.length * count + tail.length };
}

/**
 * A decompression bomb in Word's clothing: a valid DOCX whose word/document.xml unpacks to about
 * `unpackedBytes` of paragraphs (400 MB fits in about 1.4 MB), with honest sizes in its directory.
 */
export async function makeDocxBomb(unpackedBytes: number): Promise<Buffer> {
  const paragraph = `<w:p><w:r><w:t>${'lorem ipsum '.repeat(8)}</w:t></w:r></w:p>`;
  const chunk = Buffer.from(paragraph.repeat(Math.ceil((1024 * 1024) / paragraph.length)));
  const head = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>',
  );
  const document = await deflateRepeated(
    head,
    chunk,
    Math.max(1, Math.round(unpackedBytes / chunk.length)),
    Buffer.from('</w:body></w:document>'),
  );
  return zipArchive([
    zipPart('[Content_Types].xml', docxContentTypes),
    zipPart('_rels/.rels', docxPackageRelationships),
    { name: 'word/document.xml', ...document },
  ]);
}

/**
 * A real PNG of width×height grey pixels, all white: the rows deflate to almost nothing (16000×16000
 * is about 250 KB) but decode to width×height bytes and more.
 */
export async function makePngBomb(width: number, height: number): Promise<Buffer> {
  const rowsAtOnce = 64;
  const rows = Buffer.alloc((width + 1) * rowsAtOnce, 255);
  for (let row = 0; row < rowsAtOnce; row++) rows[row * (width + 1)] = 0;
  const { deflated } = await deflateRepeated(Buffer.alloc(0), rows, Math.ceil(height / rowsAtOnce), Buffer.alloc(0));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 0;
  // The zlib wrapper around the raw deflate stream: header 78 DA; the Adler-32 is left zero (never checked here).
  const idat = Buffer.concat([Buffer.from([0x78, 0xda]), deflated, Buffer.alloc(4)]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
