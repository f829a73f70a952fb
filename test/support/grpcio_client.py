"""Calls TestService with python3-grpcio (Debian's), a native gRPC client we did not write.

Usage: grpcio_client.py HOST:PORT ECHO_REQUEST_HEX FAIL_REQUEST_HEX; prints the reply, trailers and error as JSON.
"""
import binascii
import json
import sys

import grpc

identity = lambda b: b
channel = grpc.insecure_channel(sys.argv[1])
echo = channel.unary_unary('/test.v1.TestService/Echo', request_serializer=identity, response_deserializer=identity)
reply, call = echo.with_call(binascii.unhexlify(sys.argv[2]), metadata=[('x-trailer-lang', 'python')], timeout=10)
out = {'reply': binascii.hexlify(reply).decode(), 'trailers': [[k, v] for k, v in call.trailing_metadata() if not k.endswith('-bin')]}
fail = channel.unary_unary('/test.v1.TestService/Fail', request_serializer=identity, response_deserializer=identity)
try:
    fail(binascii.unhexlify(sys.argv[3]), timeout=10)
except grpc.RpcError as error:
    out['error'] = {'code': error.code().value[0], 'details': error.details()}
channel.close()
print(json.dumps(out))
