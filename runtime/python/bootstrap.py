"""lamina's Python runtime: the Lambda Runtime API client that runs a handler inside a
function's execution environment, with the standard library only.

It does what AWS's Python runtime does for a handler: puts /var/task and the layers' Python
folders on the path, imports `_HANDLER` ("module.function", the module may name a folder with
'/'), then loops: fetch the next event, call handler(event, context), post the result or the
error in AWS's shape. Init failures go to /init/error with AWS's error types.
"""

import json
import os
import socket
import sys
import time

RUNTIME_API = os.environ["AWS_LAMBDA_RUNTIME_API"]
_HOST, _, _PREFIX = RUNTIME_API.partition("/")
_PREFIX = ("/" + _PREFIX) if _PREFIX else ""
_BASE = _PREFIX + "/2018-06-01/runtime"


class _Client:
    """HTTP/1.1 over one keep-alive socket: lean, because http.client alone costs a cold start
    tens of milliseconds of imports."""

    def __init__(self):
        host, _, port = _HOST.rpartition(":")
        self.address = (host.strip("[]"), int(port))
        self.sock = None
        self.buffer = b""

    def _connect(self):
        self.sock = socket.create_connection(self.address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _read_until(self, marker):
        while marker not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the Runtime API closed the connection")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _read_exactly(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(max(65536, count - len(self.buffer)))
            if not chunk:
                raise ConnectionError("the Runtime API closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _exchange(self, method, path, body, headers):
        lines = [f"{method} {_BASE}{path} HTTP/1.1", f"Host: {_HOST}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        response_headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            response_headers[name.strip().lower()] = value.strip()
        if response_headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                data += self._read_exactly(size)
                self._read_exactly(2)
        else:
            data = self._read_exactly(int(response_headers.get("content-length", "0")))
        return status, response_headers, data

    def call(self, method, path, body=None, headers=None):
        body = body or b""
        for attempt in range(2):
            try:
                if self.sock is None:
                    self._connect()
                return self._exchange(method, path, body, headers or {})
            except (OSError, ValueError, IndexError):
                if self.sock is not None:
                    self.sock.close()
                self.sock = None
                if attempt:
                    raise


_client = _Client()


def _error_payload(error, request_id=None):
    import traceback
    error_type = type(error).__name__
    payload = {
        "errorMessage": str(error),
        "errorType": error_type,
        "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__)),
    }
    if request_id:
        payload["requestId"] = request_id
    return payload


def _post_error(path, payload, error_type):
    body = json.dumps(payload).encode()
    _client.call("POST", path, body,
                 {"Content-Type": "application/json",
                  "Lambda-Runtime-Function-Error-Type": error_type})


def _init_error(error_type, message, error=None):
    import traceback
    payload = {"errorMessage": message, "errorType": error_type, "requestId": "",
               "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__))
               if error is not None else []}
    print(f"[ERROR] {error_type}: {message}", file=sys.stdout, flush=True)
    _post_error("/init/error", payload, error_type)
    sys.exit(1)


class LambdaContext:
    def __init__(self, request_id, deadline_ms, function_arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


_request_id = ""


def _configure_logging():
    import logging

    class _RequestIdFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _request_id
            return True

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
        "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _load_handler():
    spec = os.environ.get("_HANDLER", "")
    module_path, _, function_name = spec.rpartition(".")
    if not module_path or not function_name:
        _init_error("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values to "
                    "unpack (expected 2, got 1)")
    module_name = module_path.replace("/", ".")
    try:
        module = __import__(module_name, fromlist=["_"])
    except SyntaxError as error:
        _init_error("Runtime.UserCodeSyntaxError",
                    f"Syntax error in module '{module_name}': {error}", error)
    except ImportError as error:
        _init_error("Runtime.ImportModuleError",
                    f"Unable to import module '{module_name}': {error}", error)
    except Exception as error:  # the module raised while importing
        _init_error(type(error).__name__, str(error), error)
    function = getattr(module, function_name, None)
    if function is None:
        _init_error("Runtime.HandlerNotFound",
                    f"Handler '{function_name}' missing on module '{module_name}'")
    return function


def main():
    task_root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    # /opt, or where the layers are when lamina runs without a sandbox.
    opt = os.environ.pop("LAMINA_OPT", "/opt")
    for path in reversed([task_root, f"{opt}/python/lib/{version}/site-packages",
                          f"{opt}/python"]):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.chdir(task_root)
    handler = _load_handler()
    # Lambda's log format for the logging module, when the function's code uses it (importing
    # logging for functions that never log would cost every cold start).
    if "logging" in sys.modules:
        _configure_logging()
    global _request_id
    while True:
        status, headers, body = _client.call("GET", "/invocation/next")
        if status != 200:
            time.sleep(0.01)
            continue
        lower = {name.lower(): value for name, value in headers.items()}
        request_id = lower.get("lambda-runtime-aws-request-id", "")
        _request_id = request_id
        client_context = lower.get("lambda-runtime-client-context")
        identity = lower.get("lambda-runtime-cognito-identity")
        context = LambdaContext(request_id, int(lower.get("lambda-runtime-deadline-ms", "0")),
                                lower.get("lambda-runtime-invoked-function-arn", ""),
                                json.loads(client_context) if client_context else None,
                                json.loads(identity) if identity else None)
        try:
            event = json.loads(body) if body else None
            result = handler(event, context)
            payload = json.dumps(result).encode()
        except Exception as error:
            import traceback
            traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
            _post_error(f"/invocation/{request_id}/error", _error_payload(error, request_id),
                        "Unhandled")
            continue
        sys.stdout.flush()
        _client.call("POST", f"/invocation/{request_id}/response", payload,
                     {"Content-Type": "application/json"})


if __name__ == "__main__":
    main()
