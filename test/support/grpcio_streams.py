"""Calls a client-streaming and a bidirectional method with python3-grpcio (Debian's), a native gRPC client we did
not write. Messages travel as raw bytes.

Usage: grpcio_streams.py HOST:PORT CLIENT_STREAM_PATH BIDI_PATH REQUEST_HEX...; prints the client stream's reply and
the bidi call's replies (hex) as JSON.
"""
import binascii
import json
import sys

import grpc

identity = lambda b: b
channel = grpc.insecure_channel(sys.argv[1])
requests = [binascii.unhexlify(h) for h in sys.argv[4:]]
upload = channel.stream_unary(sys.argv[2], request_serializer=identity, response_deserializer=identity)
reply = upload(iter(requests), timeout=10)
bidi = channel.stream_stream(sys.argv[3], request_serializer=identity, response_deserializer=identity)
replies = [binascii.hexlify(r).decode() for r in bidi(iter(requests), timeout=10)]
channel.close()
print(json.dumps({'reply': binascii.hexlify(reply).decode(), 'replies': replies}))
