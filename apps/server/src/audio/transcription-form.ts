import { AudioTranscriptionForm } from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import Value from 'typebox/value';

const invalid = (message: string, param: string) =>
  new SwitchyardError('SY_ERR_VALIDATION', message, { details: { param } });

function booleanOf(name: string, value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalid(`${name} must be true or false`, name);
}

/**
 * The text fields of an audio form, typed and checked against the one schema in @switchyard/api-schemas.
 * Fields OpenAI added that Switchyard has no use for (`include[]`, `chunking_strategy`, ...) are ignored
 * so newer clients keep working; `stream=true` is refused rather than silently answered whole.
 */
export function parseTranscriptionForm(fields: Readonly<Record<string, readonly string[]>>): AudioTranscriptionForm {
  const single = (name: string) => {
    const values = fields[name];
    if (values && values.length > 1) throw invalid(`Send the field ${name} once`, name);
    return values?.[0];
  };
  const stream = single('stream');
  if (stream !== undefined && booleanOf('stream', stream)) {
    throw invalid('Streamed transcription is not supported: leave stream out or send false', 'stream');
  }
  const form: Record<string, unknown> = {};
  for (const name of ['model', 'language', 'prompt', 'response_format', 'conversation_id'] as const) {
    const value = single(name);
    if (value !== undefined && value !== '') form[name] = value;
  }
  const temperature = single('temperature');
  if (temperature !== undefined && temperature !== '') {
    const number = Number(temperature);
    if (!Number.isFinite(number)) throw invalid('temperature must be a number from 0 to 1', 'temperature');
    form.temperature = number;
  }
  const asynchronous = single('async');
  if (asynchronous !== undefined) form.async = booleanOf('async', asynchronous);
  const granularities = [...(fields['timestamp_granularities[]'] ?? []), ...(fields.timestamp_granularities ?? [])];
  if (granularities.length > 0) form.timestamp_granularities = [...new Set(granularities)];
  if (!Value.Check(AudioTranscriptionForm, form)) {
    const [first] = Value.Errors(AudioTranscriptionForm, form);
    const param = first?.instancePath.split('/')[1] ?? 'form';
    throw invalid(`${param}: ${first?.message ?? 'invalid'}`, param);
  }
  if (form.timestamp_granularities && form.response_format !== 'verbose_json') {
    throw invalid('timestamp_granularities needs response_format verbose_json', 'timestamp_granularities');
  }
  if (form.conversation_id !== undefined && form.async !== true) {
    throw invalid(
      'conversation_id needs async=true: the transcript is posted when the job finishes',
      'conversation_id',
    );
  }
  return form as AudioTranscriptionForm;
}
