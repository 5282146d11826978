import { SwitchyardError } from '@switchyard/core';

export interface AudioContainer {
  readonly name: 'wav' | 'mp3' | 'ogg' | 'flac' | 'webm' | 'mp4';
  readonly mimeType: string;
  readonly extension: string;
}

const containers = {
  wav: { name: 'wav', mimeType: 'audio/wav', extension: 'wav' },
  mp3: { name: 'mp3', mimeType: 'audio/mpeg', extension: 'mp3' },
  ogg: { name: 'ogg', mimeType: 'audio/ogg', extension: 'ogg' },
  flac: { name: 'flac', mimeType: 'audio/flac', extension: 'flac' },
  webm: { name: 'webm', mimeType: 'audio/webm', extension: 'webm' },
  mp4: { name: 'mp4', mimeType: 'audio/mp4', extension: 'm4a' },
} as const satisfies Record<string, AudioContainer>;

/**
 * The audio container a file is, from its first bytes (never from the client's name or type):
 * RIFF/WAVE, MP3 (an ID3 tag or an MPEG frame sync), Ogg (Opus, Vorbis), FLAC, WebM/Matroska
 * (what browsers' MediaRecorder makes) and MP4/M4A (`ftyp`). Anything else is not audio we pass on.
 */
export function sniffAudio(bytes: Buffer): AudioContainer | undefined {
  const ascii = (start: number, end: number) => bytes.toString('latin1', start, end);
  if (bytes.length < 12) return undefined;
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return containers.wav;
  if (ascii(0, 3) === 'ID3') return containers.mp3;
  // An MPEG audio frame header: 11 sync bits, then a layer that is not the reserved 00.
  if (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0 && ((bytes[1] ?? 0) & 0x06) !== 0) return containers.mp3;
  if (ascii(0, 4) === 'OggS') return containers.ogg;
  if (ascii(0, 4) === 'fLaC') return containers.flac;
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return containers.webm;
  if (ascii(4, 8) === 'ftyp') return containers.mp4;
  return undefined;
}

/** The container, or 400 SY_ERR_UNSUPPORTED_AUDIO saying what is accepted. */
export function requireAudio(bytes: Buffer): AudioContainer {
  const container = sniffAudio(bytes);
  if (!container) {
    throw new SwitchyardError(
      'SY_ERR_UNSUPPORTED_AUDIO',
      'The file is not audio Switchyard can pass on: send WAV, MP3, Ogg/Opus, FLAC, WebM or MP4/M4A',
      { details: { param: 'file' } },
    );
  }
  return container;
}

/**
 * Seconds of audio in a PCM WAV, from its `fmt ` byte rate and `data` size; undefined otherwise.
 * `bytes` may be only the file's head when `totalBytes` says how long the whole file is.
 */
export function wavSeconds(bytes: Buffer, totalBytes = bytes.length): number | undefined {
  if (sniffAudio(bytes)?.name !== 'wav') return undefined;
  let byteRate: number | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 20 <= bytes.length) byteRate = bytes.readUInt32LE(offset + 16);
    if (id === 'data') {
      if (!byteRate) return undefined;
      // Streaming writers (espeak-ng to a pipe, browsers) leave a placeholder size: count what is there.
      return Math.min(size, totalBytes - offset - 8) / byteRate;
    }
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

/** 128 kbit/s: what a compressed file whose length Switchyard cannot read is counted as. */
const assumedBytesPerSecond = 16_000;

/**
 * The seconds a request is counted for: the upstream's figure when it gave one, else the WAV
 * header's, else the size at 128 kbit/s (compressed speech is usually smaller, so never less).
 */
export function audioSecondsOf(bytes: Buffer, reported: number | undefined, totalBytes = bytes.length): number {
  if (reported !== undefined && Number.isFinite(reported) && reported >= 0) return reported;
  return wavSeconds(bytes, totalBytes) ?? totalBytes / assumedBytesPerSecond;
}
