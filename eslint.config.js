// node-llama-cpp's style, in short: 4-space indent, double quotes, semicolons, no spaces inside braces, lines up to
// 140 characters; plus React's rules of hooks with exhaustive dependencies (a missed dependency is a stale closure).
import stylistic from "@stylistic/eslint-plugin";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
    {ignores: ["dist/", "build/", "prebuilds/", "node_modules/", ".cache/"]},
    {
        files: ["**/*.{ts,tsx,js,mjs,cjs}"],
        languageOptions: {parser: tseslint.parser, ecmaVersion: 2022, sourceType: "module"},
        plugins: {"@stylistic": stylistic, "@typescript-eslint": tseslint.plugin, "react-hooks": reactHooks},
        rules: {
            "@stylistic/indent": ["error", 4, {SwitchCase: 1, ignoredNodes: ["TemplateLiteral *", "ConditionalExpression *", "JSXElement *", "JSXElement", "JSXExpressionContainer *"]}],
            "@stylistic/quotes": ["error", "double", {avoidEscape: true}],
            "@stylistic/semi": ["error", "always"],
            "@stylistic/object-curly-spacing": ["error", "never"],
            "@stylistic/max-len": ["error", {code: 140, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true}],
            "@stylistic/no-trailing-spaces": "error",
            "@stylistic/eol-last": "error",
            "@typescript-eslint/no-unused-vars": ["error", {argsIgnorePattern: "^_", varsIgnorePattern: "^_|^React$", destructuredArrayIgnorePattern: "^_"}],
            "react-hooks/rules-of-hooks": "error",
            "react-hooks/exhaustive-deps": "error",
            "eqeqeq": ["error", "always", {null: "never"}],
            "no-var": "error",
            "prefer-const": "error"
        }
    }
);
