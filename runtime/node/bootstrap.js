// lamina's Node.js runtime: the Lambda Runtime API client that runs a handler inside a
// function's execution environment, with Node's standard library only.
//
// As AWS's Node.js runtime does: `_HANDLER` is "file.export" (the file may sit in folders),
// resolved in LAMBDA_TASK_ROOT as .js, .cjs or .mjs; the handler may return a promise or take a
// callback; errors are posted in AWS's shape ({errorType, errorMessage, trace}); init failures
// go to /init/error.
"use strict";

const http = require("http");
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const slash = api.indexOf("/");
const host = slash < 0 ? api : api.slice(0, slash);
const prefix = slash < 0 ? "" : api.slice(slash);
const [hostname, port] = host.split(":");
const base = `${prefix}/2018-06-01/runtime`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, route, body, headers) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { hostname, port, method, path: base + route, agent, headers: headers || {} },
      (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode, headers: response.headers,
                    body: Buffer.concat(chunks).toString("utf8") }));
      });
    request.on("error", reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

function errorDocument(error) {
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    errorType: err.name || "Error",
    errorMessage: err.message,
    trace: String(err.stack || "").split("\n"),
  };
}

async function initError(type, message) {
  const document = { errorType: type, errorMessage: message, trace: [] };
  console.error(JSON.stringify(document));
  await call("POST", "/init/error", JSON.stringify(document),
             { "Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": type });
  process.exit(1);
}

async function loadHandler() {
  const taskRoot = process.env.LAMBDA_TASK_ROOT || "/var/task";
  const spec = process.env._HANDLER || "";
  const dot = spec.lastIndexOf(".");
  if (dot <= 0 || dot === spec.length - 1)
    return initError("Runtime.MalformedHandlerName", `Bad handler ${spec}`);
  const modulePath = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  let module;
  const candidates = [".js", ".cjs", ".mjs"].map((ext) => path.join(taskRoot, modulePath + ext));
  const file = candidates.find((candidate) => fs.existsSync(candidate));
  if (!file)
    return initError("Runtime.ImportModuleError",
                     `Error: Cannot find module '${modulePath}'`);
  try {
    module = file.endsWith(".mjs") ? await import(pathToFileURL(file).href) : require(file);
  } catch (error) {
    if (error instanceof SyntaxError)
      return initError("Runtime.UserCodeSyntaxError", `${error.name}: ${error.message}`);
    return initError(error.name || "Runtime.ImportModuleError", error.message);
  }
  const handler = module[exportName] || (module.default && module.default[exportName]);
  if (typeof handler !== "function")
    return initError("Runtime.HandlerNotFound", `${spec} is undefined or not exported`);
  return handler;
}

function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(result);
    };
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === "function") returned.then(
        (result) => callback(null, result), (error) => callback(error));
      else if (handler.length < 3) callback(null, returned);
    } catch (error) {
      callback(error);
    }
  });
}

async function main() {
  const handler = await loadHandler();
  for (;;) {
    const next = await call("GET", "/invocation/next");
    if (next.status !== 200) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    const requestId = next.headers["lambda-runtime-aws-request-id"];
    const deadline = Number(next.headers["lambda-runtime-deadline-ms"] || 0);
    const clientContext = next.headers["lambda-runtime-client-context"];
    const context = {
      awsRequestId: requestId,
      invokedFunctionArn: next.headers["lambda-runtime-invoked-function-arn"],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: clientContext ? JSON.parse(clientContext) : undefined,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"] || "";
    try {
      const event = next.body ? JSON.parse(next.body) : null;
      const result = await runHandler(handler, event, context);
      await call("POST", `/invocation/${requestId}/response`,
                 result === undefined ? "null" : JSON.stringify(result),
                 { "Content-Type": "application/json" });
    } catch (error) {
      const document = errorDocument(error);
      console.error(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t` +
                    JSON.stringify(document));
      await call("POST", `/invocation/${requestId}/error`, JSON.stringify(document),
                 { "Content-Type": "application/json",
                   "Lambda-Runtime-Function-Error-Type": "Unhandled" });
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
