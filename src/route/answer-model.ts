// The native FAQ answerer as the router's model. It is one already (an AnswerModel); the name stays for callers.

import type { NativeAnswerer } from "../models/native/answerer.js";
import type { RouterModel } from "./router.js";

/**
 * The router's view of an answer model: the answerer itself, whose predictions carry the intent, the filled
 * answer when its whole gate passed and why it refused, and whose `answerFor` fills the FAQ entry an LLM picks.
 */
export function createAnswerRouterModel(answerer: NativeAnswerer): RouterModel {
  return answerer;
}
