"""The API front: plays API Gateway for one HTTP API of the emulator (see local.apigw.server), one module per
step of a request: routing, authorizers (with sigv4), cors, integration, events, access_log; config holds the
API's configuration and messages the request, response and API Gateway's own errors."""
