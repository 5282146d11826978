import type { RecordedRequest } from './fake-http-server';

/** One multipart request as an audio server sees it: its text fields and its file, if any. */
export interface ReceivedAudioForm {
  path: string;
  fields: Record<string, string[]>;
  file: { name: string; type: string; bytes: Buffer } | undefined;
  /** Every file part's field name (a real server reads only `file`). */
  fileFields: string[];
}

/** Parses a recorded multipart body with the platform's own parser; undefined when it is not multipart. */
export async function readAudioForm(record: RecordedRequest): Promise<ReceivedAudioForm | undefined> {
  const contentType = String(record.headers['content-type'] ?? '');
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) return undefined;
  let form: FormData;
  try {
    form = await new Request('http://fake/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(record.rawBody),
    }).formData();
  } catch {
    return undefined;
  }
  const fields: Record<string, string[]> = {};
  const fileFields: string[] = [];
  let file: ReceivedAudioForm['file'];
  const entries: Array<[string, FormDataEntryValue]> = [];
  form.forEach((value, name) => {
    entries.push([name, value]);
  });
  for (const [name, value] of entries) {
    if (typeof value === 'string') {
      fields[name] = [...(fields[name] ?? []), value];
      continue;
    }
    fileFields.push(name);
    if (name === 'file') file = { name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
  }
  return { path: record.path, fields, file, fileFields };
}

/** The audio containers real servers decode (ffmpeg's probes, in short). */
export function looksLikeAudio(bytes: Buffer): boolean {
  const ascii = (start: number, end: number) => bytes.toString('latin1', start, end);
  return (
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') ||
    ascii(0, 3) === 'ID3' ||
    (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0) ||
    ascii(0, 4) === 'OggS' ||
    ascii(0, 4) === 'fLaC' ||
    (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) ||
    ascii(4, 8) === 'ftyp'
  );
}

export interface FakeSegment {
  start: number;
  end: number;
  text: string;
}

/** hh:mm:ss,mmm (SRT) or hh:mm:ss.mmm (VTT). */
function timestamp(seconds: number, separator: ',' | '.'): string {
  const milliseconds = Math.round(seconds * 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const hours = Math.floor(milliseconds / 3_600_000);
  const minutes = Math.floor((milliseconds % 3_600_000) / 60_000);
  const wholeSeconds = Math.floor((milliseconds % 60_000) / 1000);
  return `${pad(hours)}:${pad(minutes)}:${pad(wholeSeconds)}${separator}${pad(milliseconds % 1000, 3)}`;
}

export function srtOf(segments: FakeSegment[]): string {
  return segments
    .map(
      (segment, index) =>
        `${index + 1}\n${timestamp(segment.start, ',')} --> ${timestamp(segment.end, ',')}\n${segment.text}\n`,
    )
    .join('\n');
}

export function vttOf(segments: FakeSegment[]): string {
  return `WEBVTT\n\n${segments
    .map((segment) => `${timestamp(segment.start, '.')} --> ${timestamp(segment.end, '.')}\n${segment.text}\n`)
    .join('\n')}`;
}
