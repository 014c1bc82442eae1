"""The OpenAPI 3 description of the HTTP server connector, served at /v1/openapi.json.

Written by hand, next to the handlers it describes (connectors/api.py,
connectors/http_server.py): keep them in step when a route changes.
"""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR = _json(_ref("Error"), "An error")
_TASK_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_JSON_VALUE: dict[str, Any] = {"description": "Any JSON value"}
_WAIT = {
    "name": "wait",
    "in": "query",
    "description": "Seconds (0-60) to hold the answer until the task has ended; a status "
    "that is not final in the answer means the wait ran out",
    "schema": {"type": "number", "minimum": 0, "maximum": 60},
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Flowmetal HTTP server connector",
        "version": "1",
        "description": (
            "Push programs, start tasks, send them messages, cancel them and read their "
            "status and history. Every /v1 route needs `Authorization: Bearer <token>`. "
            "Callback URLs (/cb/{token}) are signed and need no token."
        ),
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["message"],
                        "properties": {
                            "message": {"type": "string"},
                            "line": {"type": "integer"},
                            "column": {"type": "integer"},
                            "filename": {"type": "string"},
                            "rendered": {"type": "string"},
                        },
                    }
                },
            },
            "ProgramPush": {
                "type": "object",
                "required": ["name", "source"],
                "properties": {
                    "name": {"type": "string"},
                    "source": {"type": "string"},
                    "filename": {"type": "string"},
                },
            },
            "ProgramVersion": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
            },
            "TaskStart": {
                "type": "object",
                "required": ["program"],
                "properties": {
                    "program": {"type": "string"},
                    "version": {"type": "string", "description": "Default: the latest."},
                    "entry": {"type": "string", "default": "main"},
                    "args": {"type": "array", "items": _JSON_VALUE},
                    "kwargs": {"type": "object", "additionalProperties": _JSON_VALUE},
                    "id": {
                        "type": "string",
                        "description": "A client-chosen task id: makes the start idempotent.",
                    },
                },
            },
            "Task": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "status": {
                        "type": "string",
                        "enum": [
                            "starting",
                            "running",
                            "waiting",
                            "yielded",
                            "done",
                            "failed",
                            "cancelled",
                        ],
                    },
                    "program": {"type": "string"},
                    "version": {"type": "string"},
                    "waiting_for": {"type": "string"},
                    "result": _JSON_VALUE,
                    "has_result": {"type": "boolean"},
                    "error": {"type": "object", "nullable": True},
                    "updated": {"type": "integer", "description": "ms since the epoch"},
                },
            },
            "HistoryEvent": {
                "type": "object",
                "properties": {
                    "task_id": {"type": "string"},
                    "seq": {"type": "integer"},
                    "kind": {"type": "string"},
                    "time": {"type": "integer"},
                    "detail": _JSON_VALUE,
                },
            },
            "Accepted": {"type": "object", "properties": {"id": {"type": "string"}}},
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/v1/programs": {
            "post": {
                "summary": "Compile and push a program version",
                "requestBody": _json(_ref("ProgramPush"), "The program"),
                "responses": {
                    "201": _json(_ref("ProgramVersion"), "Pushed"),
                    "400": _json(_ref("Error"), "A syntax or compile error, with line and column"),
                    "401": _ERROR,
                    "413": _ERROR,
                },
            },
            "get": {
                "summary": "List programs and their versions",
                "responses": {"200": {"description": "Programs"}, "401": _ERROR},
            },
        },
        "/v1/tasks": {
            "post": {
                "summary": "Start a task (with ?wait=S: and answer when it has ended)",
                "parameters": [_WAIT],
                "requestBody": _json(_ref("TaskStart"), "What to start"),
                "responses": {
                    "201": _json(_ref("Task"), "Started"),
                    "200": _json(_ref("Task"), "A task with this id exists already"),
                    "400": _ERROR,
                    "401": _ERROR,
                    "404": _json(_ref("Error"), "Unknown program or version"),
                },
            },
            "get": {
                "summary": "List tasks, most recently updated first",
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "Tasks"}, "401": _ERROR},
            },
        },
        "/v1/tasks/{id}": {
            "get": {
                "summary": "A task's status, result and error (from the read model)",
                "parameters": [_TASK_ID, _WAIT],
                "responses": {
                    "200": _json(_ref("Task"), "The task"),
                    "400": _ERROR,
                    "404": _ERROR,
                },
            }
        },
        "/v1/tasks/{id}/history": {
            "get": {
                "summary": "A task's history events",
                "parameters": [
                    _TASK_ID,
                    {"name": "after", "in": "query", "schema": {"type": "integer"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "Events"}, "404": _ERROR},
            }
        },
        "/v1/tasks/{id}/messages": {
            "post": {
                "summary": "Send a value to a task (it gets it from flow.task.receive)",
                "parameters": [_TASK_ID],
                "requestBody": _json(
                    {
                        "type": "object",
                        "required": ["value"],
                        "properties": {"value": _JSON_VALUE, "id": {"type": "string"}},
                    },
                    "The value",
                ),
                "responses": {
                    "202": _json(_ref("Accepted"), "Sent"),
                    "404": _ERROR,
                    "409": _json(_ref("Error"), "The task has ended"),
                },
            }
        },
        "/v1/tasks/{id}/cancel": {
            "post": {
                "summary": "Cancel a task: Cancelled is raised at its current wait",
                "parameters": [_TASK_ID],
                "requestBody": _json(
                    {"type": "object", "properties": {"reason": {"type": "string"}}}, "Why"
                ),
                "responses": {
                    "202": _json(_ref("Accepted"), "Cancel sent"),
                    "404": _ERROR,
                    "409": _json(_ref("Error"), "The task has ended"),
                },
            }
        },
        "/cb/{token}": {
            "post": {
                "summary": "Deliver a callback (one delivery per URL)",
                "security": [],
                "parameters": [
                    {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "202": {"description": "Delivered to the task"},
                    "404": {"description": "Unknown or forged callback"},
                    "409": {"description": "Already delivered"},
                    "413": {"description": "Body too large"},
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "Health",
                "security": [],
                "responses": {"200": {"description": "OK"}},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "security": [],
                "responses": {"200": {"description": "Text format 0.0.4"}},
            }
        },
    },
}
