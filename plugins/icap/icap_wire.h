// The ICAP/1.0 wire format (RFC 3507), as a library without I/O: the Encapsulated header, the
// response head parser and the cutting of encapsulated HTTP heads, the chunked body codec, the
// request builder and the reading of OPTIONS answers. Include this header for all of it, or the
// one of each concern:
//   encapsulated.h   Encapsulated: parse, format, compute from section lengths
//   icap_response.h  ResponseHeadParser (incremental), ResponseHead, cutHeads
//   icap_chunked.h   ChunkedDecoder (incremental, ieof), appendChunk / encodeChunk / lastChunk
//   icap_request.h   buildRequest (REQMOD / RESPMOD / OPTIONS)
//   icap_options.h   interpretOptions -> ServiceOptions
// Everything is in exaproxy::icap and depends on the standard library and sdk/ headers only.
#pragma once

#include "encapsulated.h"
#include "icap_chunked.h"
#include "icap_common.h"
#include "icap_options.h"
#include "icap_request.h"
#include "icap_response.h"
