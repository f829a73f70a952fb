// What protoc-gen-es would generate for examples/greeter/greeter.proto (the connect-es contestant's schema): the file
// descriptor embedded as base64, resolved at import time. Written by hand from `buf build` output, as the bench has
// no codegen step; regenerate if greeter.proto changes.
import { fileDesc, messageDesc, serviceDesc } from '@bufbuild/protobuf/codegenv2'

export const file_greeter = fileDesc(
  'Cg1ncmVldGVyLnByb3RvEghoZWxsby52MSIeCgxIZWxsb1JlcXVlc3QSDgoEbmFtZRgBIAEoCVIAIh8KCkhlbGxvUmVwbHkSEQoHbWVzc2FnZRgBIAEoCVIAMnkKB0dyZWV0ZXISOAoIU2F5SGVsbG8SFi5oZWxsby52MS5IZWxsb1JlcXVlc3QaFC5oZWxsby52MS5IZWxsb1JlcGx5EjQKBEZhaWwSFi5oZWxsby52MS5IZWxsb1JlcXVlc3QaFC5oZWxsby52MS5IZWxsb1JlcGx5YgZwcm90bzPS9gMECAAYAA==',
)
export const HelloRequestSchema = messageDesc(file_greeter, 0)
export const HelloReplySchema = messageDesc(file_greeter, 1)
export const Greeter = serviceDesc(file_greeter, 0)
