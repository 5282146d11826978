import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Keeps the whole UI translated: scans every component (.tsx, tests excluded) for English the user would
 * see that does not go through t() — JSX text, the attributes people read (aria-label, title, placeholder,
 * alt, label), string literals a JSX expression shows (`{busy ? 'Saving…' : 'Save'}`) and confirm()/alert()
 * texts. Only words count: symbols, numbers and the few names below may stay literal.
 */
const allowed = new Set([
  // Brand and product names, formats and units shown as they are everywhere.
  'Switchyard',
  'OpenAI',
  'WhatsApp',
  'GitHub',
  'Google',
  'KaTeX',
  'Markdown',
  'JSON',
  'CSV',
  'PDF',
  'API',
  'URL',
  'OK',
  'ms',
  'px',
  'kB',
  'MB',
  'UTC',
  'p50',
  'p95',
  'p99',
  'Top P',
  'ID',
  // Values shown as they are typed and stored: environment names and settings' booleans.
  'prod',
  'dev',
  'true',
  'false',
]);

const readAttributes = new Set([
  'aria-label',
  'title',
  'placeholder',
  'alt',
  'label',
  'aria-description',
  'aria-placeholder',
  'caption',
  'summary',
]);

/** Text a person reads: at least one word of two letters that is not on the allow-list. */
function isWords(text: string): boolean {
  const trimmed = text.replace(/\s+/g, ' ').trim();
  if (!/[A-Za-z]{2,}/.test(trimmed)) return false;
  if (allowed.has(trimmed)) return false;
  // Code-like values (CSS classes, ids, paths, MIME types, URLs) are not shown as prose.
  if (/^[\w.-]+\/[\w.+*-]+$/.test(trimmed) || /^(https?:|\/|#|\.)/.test(trimmed)) return false;
  // A placeholder's syntax ({{name}}) and example domain names.
  if (/^\{\{\w+\}\}$/.test(trimmed) || /^[\w-]+(\.[\w-]+)+(, [\w-]+(\.[\w-]+)+)*$/.test(trimmed)) return false;
  const words = trimmed.match(/[A-Za-z]{2,}/g) ?? [];
  return words.some((word) => !allowed.has(word));
}

type Finding = { file: string; line: number; text: string };

/** Literal strings an expression can evaluate to for display (branches of ?:, ||, ??, &&, parentheses). */
function displayedLiterals(node: ts.Expression): ts.Node[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node];
  if (ts.isTemplateExpression(node)) return [node];
  if (ts.isParenthesizedExpression(node)) return displayedLiterals(node.expression);
  if (ts.isConditionalExpression(node))
    return [...displayedLiterals(node.whenTrue), ...displayedLiterals(node.whenFalse)];
  if (ts.isBinaryExpression(node)) {
    const op = node.operatorToken.kind;
    if (op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken) {
      return [...displayedLiterals(node.left), ...displayedLiterals(node.right)];
    }
    if (op === ts.SyntaxKind.AmpersandAmpersandToken) return displayedLiterals(node.right);
  }
  return [];
}

/** A table's column headings (`columns={['Name', { hidden: 'Actions' }]}`). */
function columnLiterals(node: ts.Expression): ts.Node[] {
  if (!ts.isArrayLiteralExpression(node)) return [];
  return node.elements.flatMap((element) => {
    if (ts.isObjectLiteralExpression(element)) {
      return element.properties.flatMap((property) =>
        ts.isPropertyAssignment(property) ? displayedLiterals(property.initializer) : [],
      );
    }
    return displayedLiterals(element);
  });
}

function literalText(node: ts.Node, source: ts.SourceFile): string {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' ');
  }
  return node.getText(source);
}

export function findUntranslated(file: string, text: string): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: Finding[] = [];
  const report = (node: ts.Node, value: string) => {
    if (!isWords(value)) return;
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push({ file, line: line + 1, text: value.replace(/\s+/g, ' ').trim() });
  };
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node)) report(node, node.text);
    else if (ts.isJsxAttribute(node) && node.name.getText(source) === 'columns' && node.initializer) {
      const init = node.initializer;
      if (ts.isJsxExpression(init) && init.expression) {
        for (const literal of columnLiterals(init.expression)) report(literal, literalText(literal, source));
      }
    } else if (ts.isJsxAttribute(node) && readAttributes.has(node.name.getText(source)) && node.initializer) {
      const init = node.initializer;
      if (ts.isStringLiteral(init)) report(init, init.text);
      else if (ts.isJsxExpression(init) && init.expression) {
        for (const literal of displayedLiterals(init.expression)) report(literal, literalText(literal, source));
      }
    } else if (ts.isJsxExpression(node) && node.expression && !ts.isJsxAttribute(node.parent)) {
      for (const literal of displayedLiterals(node.expression)) report(literal, literalText(literal, source));
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(source);
      if (/^(window\.)?(confirm|alert|prompt)$/.test(callee) && node.arguments[0]) {
        for (const literal of displayedLiterals(node.arguments[0])) report(literal, literalText(literal, source));
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the web UI is translated', () => {
  const root = join(import.meta.dirname, '..');
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.tsx') && !/\.test\.tsx$/.test(name) && !path.includes('/testing/')) files.push(path);
    }
  };
  walk(root);

  it('has no English text in a component outside t()', () => {
    const findings = files.flatMap((file) =>
      findUntranslated(file.slice(root.length + 1), readFileSync(file, 'utf8')).map(
        (finding) => `${finding.file}:${finding.line} ${JSON.stringify(finding.text)}`,
      ),
    );
    expect(files.length).toBeGreaterThan(40);
    expect(findings).toEqual([]);
  });

  it('finds the kinds of literal it is meant to find', () => {
    const sample = [
      'export const A = ({ busy }: { busy: boolean }) => (',
      '  <div title="Close the panel" aria-label={"Open"}>',
      "    Hello there {busy ? 'Saving…' : t('common.save')}",
      "    <button onClick={() => confirm('Delete it?')}>⋯</button>",
      '    <input placeholder={`Search ${1}`} className="px-2 text-sm" />',
      '    Switchyard {t("x")}',
      "    <AdminTable columns={['Name', t('y'), { hidden: 'Actions' }]} />",
      '  </div>',
      ');',
    ].join('\n');
    expect(findUntranslated('sample.tsx', sample).map((finding) => finding.text)).toEqual([
      'Close the panel',
      'Open',
      'Hello there',
      'Saving…',
      'Delete it?',
      'Search',
      'Name',
      'Actions',
    ]);
  });
});
