// ESLint over every TypeScript room, with typescript-eslint's type-checked rules: they see
// types, so they catch what plain lint cannot (an unawaited store write, a promise handed
// to a callback that ignores it, a switch that forgets a state). `npm run lint` runs it,
// `npm test` runs that. TypeScript 6.0 is the compiler here because typescript-eslint needs
// TypeScript's JS API, which TypeScript 7 (native) does not ship (see README, "Checks").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.data/', 'coverage/', 'jest.config.js'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A job, an attempt or a webhook is written once per change; a write nobody awaits
      // can be lost when a Lambda freezes, and its error never reaches the caller.
      '@typescript-eslint/no-floating-promises': 'error',
      // Handing an async function where a void callback is expected (an event listener,
      // forEach) drops its rejection on the floor.
      '@typescript-eslint/no-misused-promises': 'error',
      // Job statuses and webhook states are unions; a switch over them must name every case
      // so a new state cannot slip through a default.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      // `await` of a non-promise hides a missing call or a sync API mistaken for an async one.
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try/catch skips the catch; awaiting there keeps the stack.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Not `no-unnecessary-condition`: without `noUncheckedIndexedAccess` in tsconfig it
      // calls every `list[i] ?? fallback` guard unnecessary, and removing them would be wrong.
      // Only Error objects are thrown and rejected, so `cause` and stacks survive.
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      // `${obj}` prints [object Object] in a log line or a problem detail.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // Unused names are already errors in tsc (noUnusedLocals/Parameters); `_` marks one
      // kept on purpose (a positional parameter of a callback).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Tests read parsed JSON (the e2e client's `ApiResponse<any>`, SDK mocks' calls) and
    // pass jest's asymmetric matchers (`expect.any(String)`), which jest itself types as
    // `any`; the assertions are what check those shapes. The no-unsafe-* family would ask
    // for a cast per line there and catch nothing; every other room keeps it. For the
    // same reason a test may say `any` for parsed JSON (no-explicit-any). Fakes implement
    // async ports, and `async () => value` or `async () => { throw error }` is the plain
    // way to write one (require-await); no-floating-promises still checks every call.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The web console builds its DOM with createElement and textContent only (console/app/dom.ts):
    // payloads, errors and job types are tenant data, and an HTML string is where one becomes
    // markup. The page's CSP forbids inline script; this forbids the ways to write HTML.
    files: ['console/app/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML'].map((property) => ({ property, message: 'Build the DOM with h() (console/app/dom.ts): text as text, never HTML.' })),
        { property: 'insertAdjacentHTML', message: 'Build the DOM with h() (console/app/dom.ts): text as text, never HTML.' },
        { object: 'document', property: 'write', message: 'Build the DOM with h() (console/app/dom.ts).' },
        { object: 'document', property: 'writeln', message: 'Build the DOM with h() (console/app/dom.ts).' },
      ],
      'no-restricted-syntax': [
        'error',
        // Computed access (el['innerHTML']) and DOMParser / createContextualFragment, which parse HTML too.
        { selector: "MemberExpression[computed=true][property.value=/^(innerHTML|outerHTML|insertAdjacentHTML|write|writeln)$/]", message: 'Build the DOM with h() (console/app/dom.ts).' },
        { selector: "NewExpression[callee.name='DOMParser']", message: 'The console parses no HTML.' },
        { selector: "MemberExpression[property.name='createContextualFragment']", message: 'The console parses no HTML.' },
      ],
    },
  },
);
