// The API over fetch: one JSON request, and the error it answers with (its message in
// the page's language when the catalogue knows its code).
import { has, t } from "/web/js/i18n.js";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(has(`error.${code}`) ? t(`error.${code}`) : message);
    this.status = status;
    this.code = code;
  }
}

/** One JSON request to the API; the decoded body, or an ApiError with the API's code. */
export async function api(path, { method = "GET", body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", t("error.network"));
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = data && data.error ? data.error : { code: "error", message: response.statusText };
    throw new ApiError(response.status, error.code, error.message);
  }
  return data;
}

let config = null;

/** The server's settings for the pages (/client-config.json), read once per page. */
export function clientConfig() {
  config = config || api("/client-config.json");
  return config;
}
