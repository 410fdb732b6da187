/**
 * The server's errors, in OpenAI's JSON error shape `{error: {message, type, param, code}}`, told apart with
 * instanceof: each class has its HTTP status. `apiCode` is OpenAI's `code` (fastify uses `code` for its own).
 * Anything else thrown while serving a request is a bug: a 500 with a generic message, logged by the server.
 */
import {displayText} from "../displayText.js";
import {UserFacingError, VectorMismatchError, VectorNotFoundError} from "../errors.js";
import {PromptTooLongError} from "../engine/conversationTypes.js";

export type ApiErrorBody = {error: {message: string, type: string, param: string | null, code: string | null}};

export class ApiError extends Error {
    constructor(readonly status: number, message: string, readonly type: string,
        readonly apiCode: string | null = null, readonly param: string | null = null) {
        super(displayText(message, 1000));
        this.name = "ApiError";
    }

    body(): ApiErrorBody {
        return {error: {message: this.message, type: this.type, param: this.param, code: this.apiCode}};
    }
}

/** 400: the request is wrong (its JSON, a field, a vector name). */
export class BadRequestError extends ApiError {
    constructor(message: string, {code = null, param = null}: {code?: string | null, param?: string | null} = {}) {
        super(400, message, "invalid_request_error", code, param);
        this.name = "BadRequestError";
    }
}

/** 401: no key, or the wrong one, where the server has one. */
export class AuthenticationError extends ApiError {
    constructor(message: string) {
        super(401, message, "invalid_request_error", "invalid_api_key");
        this.name = "AuthenticationError";
    }
}

/**
 * 403: a request addressed to another host name than this machine's, to a server without a key: what a web page
 * does through DNS rebinding (its own name made to point at 127.0.0.1) to read a local server's answers.
 */
export class ForbiddenHostError extends ApiError {
    constructor(host: string) {
        super(403, `Requests must be addressed to this machine (localhost, 127.0.0.1 or ::1), not "${host}"; a server with --api-key takes any`,
            "invalid_request_error", "forbidden_host");
        this.name = "ForbiddenHostError";
    }
}

/** 404: a route or a model the server does not have. */
export class NotFoundError extends ApiError {
    constructor(message: string, code: string | null = null, param: string | null = null) {
        super(404, message, "invalid_request_error", code, param);
        this.name = "NotFoundError";
    }
}

/** 429: every place in the queue is taken; the client may try again shortly. */
export class QueueFullError extends ApiError {
    constructor(readonly limit: number) {
        super(429, `The server is busy: ${limit} requests are waiting already; try again shortly`, "rate_limit_error", "queue_full");
        this.name = "QueueFullError";
    }
}

/** 503: the server is shutting down (SIGTERM): a request waiting or running is ended with this. */
export class ShuttingDownError extends ApiError {
    constructor() {
        super(503, "The server is shutting down", "server_error", "shutting_down");
        this.name = "ShuttingDownError";
    }
}

/** The client went away (closed the connection): its request is dropped, nothing is sent. */
export class ClientGoneError extends Error {
    /** `tokens`: how many tokens its reply had when it was stopped (undefined: it had not started) */
    constructor(readonly tokens?: number) {
        super("the client closed the connection");
        this.name = "ClientGoneError";
    }
}

/** 500: a bug. The message is generic: the details go to the server's log, not to the client. */
export class InternalError extends ApiError {
    constructor() {
        super(500, "The server failed on this request (a bug: its log says why)", "server_error", "internal_error");
        this.name = "InternalError";
    }
}

/**
 * The API error for what a request threw. steer-chat's own errors meant for the user become 400s (a vector or
 * preset that is not there, a coefficient out of range, a prompt too long for the context), worded for a client:
 * no paths of the server's folders. `fastify` errors carry their status (413 body too large, 415, bad JSON).
 * Anything else is a bug: InternalError.
 */
export function toApiError(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    if (err instanceof VectorNotFoundError)
        return new BadRequestError(`No vector named "${err.vectorName}": GET /v1/steering/vectors lists them`, {code: "vector_not_found"});
    if (err instanceof VectorMismatchError)
        return new BadRequestError(`The vector "${err.vectorName}" was made for another model (n_embd ${err.vectorEmbd}, this model's is ${err.modelEmbd})`,
            {code: "vector_mismatch"});
    if (err instanceof PromptTooLongError)
        return new BadRequestError(`The prompt is ${err.promptTokens} tokens, but the context holds ${err.contextSize}`, {code: "context_length_exceeded"});
    const fromFramework = frameworkError(err);
    if (fromFramework) return fromFramework;
    // a Node system error (a full disk) is the server's problem, not the request's: it stays a 500
    if (err instanceof UserFacingError) return new BadRequestError(err.toLine());
    return new InternalError();
}

/** fastify's own 4xx errors (body too large, bad JSON, unsupported media type) in the API's shape */
function frameworkError(err: unknown): ApiError | undefined {
    if (!(err instanceof Error)) return undefined;
    const {statusCode, code} = err as Error & {statusCode?: number, code?: string};
    if (statusCode == null || statusCode < 400 || statusCode >= 500) return undefined;
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE")
        return new ApiError(413, "The request body is too large", "invalid_request_error", "request_too_large");
    if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
        return new ApiError(415, "The body must be JSON (Content-Type: application/json)", "invalid_request_error", "unsupported_media_type");
    if (code === "FST_ERR_CTP_EMPTY_JSON_BODY") return new BadRequestError("The request body is empty", {code: "invalid_json"});
    if (err instanceof SyntaxError || code === "FST_ERR_CTP_INVALID_JSON_BODY")
        return new BadRequestError(`The request body is not valid JSON${err instanceof SyntaxError ? `: ${err.message}` : ""}`, {code: "invalid_json"});
    return new ApiError(statusCode, err.message, "invalid_request_error");
}
