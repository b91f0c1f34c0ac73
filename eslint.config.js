// Lint rules: the recommended sets, plus the layer rule from DESIGN.md (imports point downward only).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

// Each layer may import only from the layers listed after it.
const layers = ['cli', 'http', 'features', 'jobs', 'registry', 'auth', 'metadata', 'storage', 'core'];
const below = (layer) => layers.slice(layers.indexOf(layer) + 1);
const forbidden = (layer) => layers.filter((l) => l !== layer && !below(layer).includes(l));

// The one upward import DESIGN.md asks for (How features plug in): a feature returns its API
// routes as the route() objects of http/api/route.ts, so they land in the OpenAPI document.
const exceptions = { features: { http: ['**/http/api/route.ts'] } };

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'web/dist/', 'bench/results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...layers.map((layer) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: forbidden(layer).map((l) => ({
          // Files and folders below the layer (not the folders themselves, so an exception can re-include a file).
          group: [`**/${l}/*.ts`, `**/${l}/*/**`, ...(exceptions[layer]?.[l] ?? []).map((p) => `!${p}`)],
          message: `src/${layer} must not import from src/${l}: imports point downward only (DESIGN.md, Layers).`,
        })),
      }],
    },
  })),
  // The web UI (web/): React's rules of hooks. Its types are checked by web/tsconfig.json.
  {
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
