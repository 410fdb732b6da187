/**
 * Contrast recipes (vectors/recipes/*.json): pairs of personas and a few questions; each pair renders into a
 * positive and a negative prompt through the model's own chat template (plain text for models without one).
 */
import {readdirSync} from "node:fs";
import path from "node:path";
import {resolveChatWrapper, type ChatHistoryItem, type LlamaModel, type Token} from "node-llama-cpp";
import {shippedVectorsDir} from "../config/paths.js";
import {UserFacingError} from "../errors.js";
import {readRegularFile} from "../engine/userFiles.js";

export type Recipe = {
    name: string,
    description: string,
    /** system prompts (or persona lines) for the two sides */
    positive: string,
    negative: string,
    /** user turns asked of both personas */
    questions: string[],
    /** the start of the model's answer, shared by both sides (the contrast comes from the persona) */
    answerStarts: string[]
};

export function recipesDir() {
    return path.join(shippedVectorsDir(), "recipes");
}

export function listRecipes(): Recipe[] {
    try {
        return readdirSync(recipesDir()).filter((f) => f.endsWith(".json")).sort().map((f) => loadRecipe(f.slice(0, -5)));
    } catch {
        return [];
    }
}

export function loadRecipe(name: string): Recipe {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) throw new UserFacingError(`Invalid recipe name "${name}"`);
    const file = path.join(recipesDir(), `${name}.json`);
    let recipe: Recipe;
    try {
        recipe = JSON.parse(readRegularFile(file, "Recipe", () => new Error("missing"), {maxBytes: 1024 * 1024}).toString("utf8")) as Recipe;
    } catch {
        const known = listRecipeNames();
        throw new UserFacingError(`No recipe named "${name}"`, known.length > 0 ? `recipes: ${known.join(", ")}` : "no recipes are shipped");
    }
    if (typeof recipe.positive !== "string" || typeof recipe.negative !== "string" || !Array.isArray(recipe.questions) || !Array.isArray(recipe.answerStarts))
        throw new UserFacingError(`Recipe ${file} is malformed`, "it needs positive, negative, questions and answerStarts");
    return recipe;
}

export function recipeExists(name: string) {
    return listRecipeNames().includes(name);
}

function listRecipeNames() {
    try {
        return readdirSync(recipesDir()).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
    } catch {
        return [];
    }
}

/**
 * Renders every question × answer start for both personas, with the model's chat template when it has one. A
 * templated prompt comes back as tokens: its special tokens (BOS, <|im_start|>…) are tokens in the template, and
 * turning them into text first would write "BOS" as a word.
 */
export function renderRecipe(recipe: Recipe, model: LlamaModel): {positives: (string | Token[])[], negatives: (string | Token[])[]} {
    const hasTemplate = typeof model.fileInfo.metadata?.tokenizer?.chat_template === "string";
    const wrapper = hasTemplate ? resolveChatWrapper(model) : undefined;
    const render = (persona: string, question: string, answerStart: string) => {
        if (wrapper == null) return `${persona}\n${question}\n${answerStart}`;
        const history: ChatHistoryItem[] = [
            {type: "system", text: persona},
            {type: "user", text: question},
            {type: "model", response: [answerStart]}
        ];
        const {contextText} = wrapper.generateContextState({chatHistory: history});
        return contextText.tokenize(model.tokenizer);
    };
    const positives: (string | Token[])[] = [];
    const negatives: (string | Token[])[] = [];
    for (const question of recipe.questions) {
        for (const start of recipe.answerStarts) {
            positives.push(render(recipe.positive, question, start));
            negatives.push(render(recipe.negative, question, start));
        }
    }
    return {positives, negatives};
}
