// aws-chunked bodies: AWS's published signed examples, every split of a body across Feed calls,
// malformed framing, bad signatures, truncation and trailers.

#include "protocol/aws_chunked.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "common/hashing.h"
#include "protocol/sigv4.h"

namespace lamina::aws_chunked {
namespace {

// The S3 API reference's chunked-upload examples (sigv4-streaming, sigv4-streaming-trailers).
constexpr char kExampleSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kExampleDate[] = "20130524T000000Z";
constexpr char kExampleScope[] = "20130524/us-east-1/s3/aws4_request";

Verification ExampleVerification(std::string seed_signature) {
  sigv4::Credential credential{"AKIAIOSFODNN7EXAMPLE", "20130524", "us-east-1", "s3"};
  return Verification{sigv4::SigningKey(kExampleSecret, credential), kExampleDate, kExampleScope,
                      std::move(seed_signature)};
}

std::string SignedChunk(std::string_view data, std::string_view signature) {
  std::string out;
  char size[32];
  std::snprintf(size, sizeof(size), "%zx", data.size());
  out += size;
  out += ";chunk-signature=";
  out += signature;
  out += "\r\n";
  out += data;
  out += "\r\n";
  return out;
}

// Signs chunks and trailers the way the SDKs do, independently of the decoder.
class TestSigner {
 public:
  explicit TestSigner(Verification verification)
      : verification_(std::move(verification)), previous_(verification_.seed_signature) {}

  std::string SignChunk(std::string_view data) {
    std::string string_to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + verification_.amz_date + "\n" +
                                 verification_.scope + "\n" + previous_ + "\n" +
                                 HexEncode(Sha256("")) + "\n" + HexEncode(Sha256(data));
    previous_ = HexEncode(HmacSha256(verification_.signing_key, string_to_sign));
    return previous_;
  }
  std::string SignTrailer(std::string_view canonical) {
    std::string string_to_sign = "AWS4-HMAC-SHA256-TRAILER\n" + verification_.amz_date + "\n" +
                                 verification_.scope + "\n" + previous_ + "\n" +
                                 HexEncode(Sha256(canonical));
    return HexEncode(HmacSha256(verification_.signing_key, string_to_sign));
  }

 private:
  Verification verification_;
  std::string previous_;
};

using Trailers = std::vector<std::pair<std::string, std::string>>;

// A signed body: the chunks, the final empty chunk, then (with_trailer) the trailers and their
// signature, then the closing empty line.
std::string EncodeSigned(const Verification& verification, const std::vector<std::string>& chunks,
                         bool with_trailer = false, const Trailers& trailers = {}) {
  TestSigner signer(verification);
  std::string body;
  for (const std::string& chunk : chunks) body += SignedChunk(chunk, signer.SignChunk(chunk));
  std::string final_signature = signer.SignChunk("");
  body += "0;chunk-signature=" + final_signature + "\r\n";
  if (with_trailer) {
    std::string canonical;
    for (const auto& [name, value] : trailers) {
      body += name + ":" + value + "\r\n";
      canonical += name + ":" + value + "\n";
    }
    body += "x-amz-trailer-signature:" + signer.SignTrailer(canonical) + "\r\n";
  }
  body += "\r\n";
  return body;
}

std::string EncodeUnsigned(const std::vector<std::string>& chunks, const Trailers& trailers) {
  std::string body;
  for (const std::string& chunk : chunks) {
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", chunk.size());
    body += size + chunk + "\r\n";
  }
  body += "0\r\n";
  for (const auto& [name, value] : trailers) body += name + ":" + value + "\r\n";
  body += "\r\n";
  return body;
}

struct Outcome {
  std::string data;
  bool ok = false;
  std::string error;
  Failure failure = Failure::kNone;
};

// Feeds `pieces` in order, then Finish; collects the payload. The sink is never given an empty
// view.
Outcome Decode(Decoder& decoder, const std::vector<std::string_view>& pieces) {
  Outcome outcome;
  auto sink = [&](std::string_view data) {
    EXPECT_FALSE(data.empty());
    outcome.data.append(data);
  };
  for (std::string_view piece : pieces) {
    auto fed = decoder.Feed(piece, sink);
    if (!fed) {
      outcome.error = fed.error();
      outcome.failure = decoder.failure();
      return outcome;
    }
  }
  auto finished = decoder.Finish();
  if (!finished) {
    outcome.error = finished.error();
    outcome.failure = decoder.failure();
    return outcome;
  }
  outcome.ok = true;
  return outcome;
}

Outcome DecodeWhole(Mode mode, std::optional<Verification> verification, std::string_view body) {
  Decoder decoder(mode, std::move(verification));
  return Decode(decoder, {body});
}

TEST(AwsChunkedModeOf, StreamingValues) {
  EXPECT_EQ(ModeOf("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), Mode::kSigned);
  EXPECT_EQ(ModeOf("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"), Mode::kSignedWithTrailer);
  EXPECT_EQ(ModeOf("STREAMING-UNSIGNED-PAYLOAD-TRAILER"), Mode::kUnsignedWithTrailer);
  EXPECT_EQ(ModeOf("UNSIGNED-PAYLOAD"), std::nullopt);
  EXPECT_EQ(ModeOf("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            std::nullopt);
  EXPECT_EQ(ModeOf("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"), std::nullopt);
  EXPECT_EQ(ModeOf("streaming-aws4-hmac-sha256-payload"), std::nullopt);
  EXPECT_EQ(ModeOf(""), std::nullopt);
}

TEST(AwsChunkedSigningKey, MatchesTheSigV4DocumentationExample) {
  // "Derive a signing key" in the IAM SigV4 guide.
  sigv4::Credential credential{"AKIDEXAMPLE", "20120215", "us-east-1", "iam"};
  EXPECT_EQ(HexEncode(sigv4::SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", credential)),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  EXPECT_EQ(sigv4::SigningKey("secret", credential).size(), 32u);
}

// sigv4-streaming "Example: PUT Object": 66560 bytes of 'a' in a 64 KiB chunk, a 1 KiB chunk
// and the final chunk, with AWS's own signatures.
std::string AwsSignedExampleBody() {
  return SignedChunk(std::string(65536, 'a'),
                     "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648") +
         SignedChunk(std::string(1024, 'a'),
                     "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497") +
         SignedChunk("", "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
}
constexpr char kAwsSignedExampleSeed[] =
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

TEST(AwsChunkedDecoder, VerifiesTheAwsSignedExample) {
  std::string body = AwsSignedExampleBody();
  EXPECT_EQ(body.size(), 66824u);  // the example's Content-Length
  Decoder decoder(Mode::kSigned, ExampleVerification(kAwsSignedExampleSeed));
  Outcome outcome = Decode(decoder, {body});
  ASSERT_TRUE(outcome.ok) << outcome.error;
  EXPECT_EQ(outcome.data, std::string(66560, 'a'));
  EXPECT_EQ(decoder.decoded_bytes(), 66560u);  // x-amz-decoded-content-length
  EXPECT_TRUE(decoder.done());
  EXPECT_TRUE(decoder.trailers().empty());
  EXPECT_EQ(decoder.failure(), Failure::kNone);
}

TEST(AwsChunkedDecoder, OurSignerReproducesTheAwsExample) {
  // The test signer used below agrees with AWS byte for byte.
  Verification verification = ExampleVerification(kAwsSignedExampleSeed);
  EXPECT_EQ(EncodeSigned(verification, {std::string(65536, 'a'), std::string(1024, 'a')}),
            AwsSignedExampleBody());
}

TEST(AwsChunkedDecoder, AwsSignedExampleInSmallPieces) {
  std::string body = AwsSignedExampleBody();
  for (size_t piece_size : {1u, 2u, 7u, 86u, 87u, 88u, 4096u, 65536u, 65627u}) {
    SCOPED_TRACE(piece_size);
    std::vector<std::string_view> pieces;
    for (size_t at = 0; at < body.size(); at += piece_size)
      pieces.push_back(std::string_view(body).substr(at, piece_size));
    Decoder decoder(Mode::kSigned, ExampleVerification(kAwsSignedExampleSeed));
    Outcome outcome = Decode(decoder, pieces);
    ASSERT_TRUE(outcome.ok) << outcome.error;
    EXPECT_EQ(outcome.data.size(), 66560u);
  }
}

TEST(AwsChunkedDecoder, RejectsTheAwsExampleWithAWrongSeed) {
  Outcome outcome =
      DecodeWhole(Mode::kSigned, ExampleVerification(std::string(64, '0')), AwsSignedExampleBody());
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure, Failure::kSignatureMismatch);
  EXPECT_TRUE(outcome.data.size() <= 65536u);  // stopped at the first chunk
}

// sigv4-streaming-trailers "Example: PUT Object": the same data, signed with a trailer that
// carries its CRC-32C.
constexpr char kAwsTrailerExampleSeed[] =
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
std::string AwsTrailerExampleChunks() {
  return SignedChunk(std::string(65536, 'a'),
                     "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2") +
         SignedChunk(std::string(1024, 'a'),
                     "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7") +
         "0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n";
}
constexpr char kAwsTrailerExampleTrailer[] =
    "x-amz-checksum-crc32c:sOO8/Q==\r\n"
    "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n";

TEST(AwsChunkedDecoder, VerifiesTheAwsTrailerExample) {
  std::string body = AwsTrailerExampleChunks() + kAwsTrailerExampleTrailer + "\r\n";
  Decoder decoder(Mode::kSignedWithTrailer, ExampleVerification(kAwsTrailerExampleSeed));
  Outcome outcome = Decode(decoder, {body});
  ASSERT_TRUE(outcome.ok) << outcome.error;
  EXPECT_EQ(outcome.data, std::string(66560, 'a'));
  EXPECT_TRUE(decoder.done());
  ASSERT_EQ(decoder.trailers().size(), 1u);
  EXPECT_EQ(decoder.trailers()[0].first, "x-amz-checksum-crc32c");
  EXPECT_EQ(decoder.trailers()[0].second, "sOO8/Q==");
  // What S3 then checks: the trailer names the CRC-32C of what was decoded.
  EXPECT_EQ(Base64Encode(Crc32Bytes(Crc32c(outcome.data))), decoder.trailers()[0].second);
}

TEST(AwsChunkedDecoder, AcceptsAnEmptyLineBetweenFinalChunkAndTrailers) {
  // The documentation's rendering of the example (and some encoders) put one there.
  std::string body = AwsTrailerExampleChunks() + "\r\n" + kAwsTrailerExampleTrailer + "\r\n";
  Decoder decoder(Mode::kSignedWithTrailer, ExampleVerification(kAwsTrailerExampleSeed));
  Outcome outcome = Decode(decoder, {body});
  ASSERT_TRUE(outcome.ok) << outcome.error;
  ASSERT_EQ(decoder.trailers().size(), 1u);
}

TEST(AwsChunkedDecoder, AcceptsATrailerWithoutItsClosingEmptyLine) {
  std::string body = AwsTrailerExampleChunks() + kAwsTrailerExampleTrailer;
  Decoder decoder(Mode::kSignedWithTrailer, ExampleVerification(kAwsTrailerExampleSeed));
  Outcome outcome = Decode(decoder, {body});
  ASSERT_TRUE(outcome.ok) << outcome.error;
  EXPECT_TRUE(decoder.done());
}

TEST(AwsChunkedDecoder, RejectsATamperedSignedTrailer) {
  std::string trailer = kAwsTrailerExampleTrailer;
  trailer.replace(trailer.find("sOO8"), 4, "sOO9");
  Outcome outcome =
      DecodeWhole(Mode::kSignedWithTrailer, ExampleVerification(kAwsTrailerExampleSeed),
                  AwsTrailerExampleChunks() + trailer + "\r\n");
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure, Failure::kSignatureMismatch);

  // Without the signature line.
  outcome = DecodeWhole(Mode::kSignedWithTrailer, ExampleVerification(kAwsTrailerExampleSeed),
                        AwsTrailerExampleChunks() + "x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n");
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure, Failure::kSignatureMismatch);

  // Ending right after the final chunk.
  outcome = DecodeWhole(Mode::kSignedWithTrailer, ExampleVerification(kAwsTrailerExampleSeed),
                        AwsTrailerExampleChunks() + "\r\n");
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failure, Failure::kIncomplete);
}

TEST(AwsChunkedDecoder, SignedTrailersAreSortedForSigning) {
  Verification verification = ExampleVerification(std::string(64, 'c'));
  TestSigner signer(verification);
  std::string body = SignedChunk("data", signer.SignChunk("data"));
  body += "0;chunk-signature=" + signer.SignChunk("") + "\r\n";
  body += "x-amz-meta-b:2\r\nX-Amz-Checksum-CRC32: 3 \r\n";
  body +=
      "x-amz-trailer-signature:" + signer.SignTrailer("x-amz-checksum-crc32:3\nx-amz-meta-b:2\n") +
      "\r\n\r\n";
  Decoder decoder(Mode::kSignedWithTrailer, verification);
  Outcome outcome = Decode(decoder, {body});
  ASSERT_TRUE(outcome.ok) << outcome.error;
  EXPECT_EQ(decoder.trailers(), (Trailers{{"x-amz-meta-b", "2"}, {"x-amz-checksum-crc32", "3"}}));
}

// Small bodies in each mode, for exhaustive splitting.
struct SmallBody {
  const char* name;
  Mode mode;
  std::optional<Verification> verification;
  std::string body;
  std::string data;
  Trailers trailers;
};

std::vector<SmallBody> SmallBodies() {
  Verification verification = ExampleVerification(std::string(64, 'f'));
  std::vector<std::string> chunks = {"hello world", "!", std::string(300, 'z')};
  std::string data = "hello world!" + std::string(300, 'z');
  Trailers checksum = {{"x-amz-checksum-crc32", Base64Encode(Crc32Bytes(Crc32(data)))}};
  return {
      {"signed", Mode::kSigned, verification, EncodeSigned(verification, chunks), data, {}},
      {"signed, unverified",
       Mode::kSigned,
       std::nullopt,
       EncodeSigned(verification, chunks),
       data,
       {}},
      {"signed with trailer", Mode::kSignedWithTrailer, verification,
       EncodeSigned(verification, chunks, true, checksum), data, checksum},
      {"unsigned with trailer", Mode::kUnsignedWithTrailer, std::nullopt,
       EncodeUnsigned(chunks, checksum), data, checksum},
      {"unsigned, no trailers",
       Mode::kUnsignedWithTrailer,
       std::nullopt,
       EncodeUnsigned(chunks, {}),
       data,
       {}},
  };
}

TEST(AwsChunkedDecoder, EverySplitDecodesIdentically) {
  for (const SmallBody& small : SmallBodies()) {
    SCOPED_TRACE(small.name);
    std::string_view body = small.body;
    for (size_t split = 0; split <= body.size(); ++split) {
      Decoder decoder(small.mode, small.verification);
      Outcome outcome = Decode(decoder, {body.substr(0, split), body.substr(split)});
      ASSERT_TRUE(outcome.ok) << "split at " << split << ": " << outcome.error;
      ASSERT_EQ(outcome.data, small.data) << "split at " << split;
      ASSERT_EQ(decoder.trailers(), small.trailers) << "split at " << split;
      ASSERT_EQ(decoder.decoded_bytes(), small.data.size());
    }
    // And one byte at a time.
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < body.size(); ++i) bytes.push_back(body.substr(i, 1));
    Decoder decoder(small.mode, small.verification);
    Outcome outcome = Decode(decoder, bytes);
    ASSERT_TRUE(outcome.ok) << outcome.error;
    EXPECT_EQ(outcome.data, small.data);
  }
}

TEST(AwsChunkedDecoder, RandomSplitsDecodeIdentically) {
  std::mt19937 random(5);
  Verification verification = ExampleVerification(std::string(64, 'e'));
  for (int round = 0; round < 30; ++round) {
    std::vector<std::string> chunks;
    std::string data;
    int count = static_cast<int>(random() % 5);
    for (int i = 0; i < count; ++i) {
      std::string chunk(1 + random() % 20000, '\0');
      for (char& c : chunk) c = static_cast<char>(random());
      data += chunk;
      chunks.push_back(std::move(chunk));
    }
    std::string body = EncodeSigned(verification, chunks);
    std::vector<std::string_view> pieces;
    for (size_t at = 0; at < body.size();) {
      size_t take = 1 + random() % 3000;
      pieces.push_back(std::string_view(body).substr(at, take));
      at += take;
    }
    Decoder decoder(Mode::kSigned, verification);
    Outcome outcome = Decode(decoder, pieces);
    ASSERT_TRUE(outcome.ok) << outcome.error;
    ASSERT_EQ(outcome.data, data);
  }
}

TEST(AwsChunkedDecoder, EveryFlippedSignatureCharacterIsAMismatch) {
  Verification verification = ExampleVerification(std::string(64, 'a'));
  std::string body = EncodeSigned(verification, {"hello", "world"});
  size_t flipped = 0;
  for (size_t at = body.find("chunk-signature="); at != std::string::npos;
       at = body.find("chunk-signature=", at + 1)) {
    for (size_t offset : {0u, 31u, 63u}) {
      std::string tampered = body;
      char& c = tampered[at + 16 + offset];
      c = c == '0' ? '1' : '0';
      Outcome outcome = DecodeWhole(Mode::kSigned, verification, tampered);
      EXPECT_FALSE(outcome.ok);
      EXPECT_EQ(outcome.failure, Failure::kSignatureMismatch) << outcome.error;
      ++flipped;
    }
  }
  EXPECT_EQ(flipped, 9u);
  // Flipped data, with the header intact.
  std::string tampered = body;
  tampered[tampered.find("hello")] = 'j';
  EXPECT_EQ(DecodeWhole(Mode::kSigned, verification, tampered).failure,
            Failure::kSignatureMismatch);
  // Chunks swapped: each is validly signed, but not in that place in the chain.
  TestSigner signer(verification);
  std::string first = SignedChunk("hello", signer.SignChunk("hello"));
  std::string second = SignedChunk("world", signer.SignChunk("world"));
  std::string last = "0;chunk-signature=" + signer.SignChunk("") + "\r\n\r\n";
  EXPECT_TRUE(DecodeWhole(Mode::kSigned, verification, first + second + last).ok);
  EXPECT_EQ(DecodeWhole(Mode::kSigned, verification, second + first + last).failure,
            Failure::kSignatureMismatch);
}

TEST(AwsChunkedDecoder, UnverifiedSignedBodiesStillNeedWellFormedSignatures) {
  std::string body = EncodeSigned(ExampleVerification(std::string(64, 'a')), {"hello"});
  std::string wrong = body;
  char& c = wrong[wrong.find("chunk-signature=") + 16];
  c = c == '0' ? '1' : '0';
  EXPECT_TRUE(DecodeWhole(Mode::kSigned, std::nullopt, wrong).ok);
  EXPECT_EQ(DecodeWhole(Mode::kSigned, std::nullopt, "5\r\nhello\r\n0\r\n\r\n").failure,
            Failure::kMalformed);
  EXPECT_EQ(DecodeWhole(Mode::kSigned, std::nullopt, "5;chunk-signature=abc\r\nhello\r\n").failure,
            Failure::kMalformed);
}

struct MalformedCase {
  const char* name;
  Mode mode;
  std::string body;
  Failure failure;
};

TEST(AwsChunkedDecoder, MalformedBodies) {
  const std::string signature = std::string(64, '0');
  const std::string signed_final = "0;chunk-signature=" + signature + "\r\n\r\n";
  const std::vector<MalformedCase> cases = {
      {"bad hex size", Mode::kUnsignedWithTrailer, "zz\r\nhello\r\n0\r\n\r\n", Failure::kMalformed},
      {"bad hex size, signed", Mode::kSigned,
       "5x;chunk-signature=" + signature + "\r\nhello\r\n" + signed_final, Failure::kMalformed},
      {"empty size", Mode::kUnsignedWithTrailer, "\r\nhello\r\n0\r\n\r\n", Failure::kMalformed},
      {"negative size", Mode::kUnsignedWithTrailer, "-5\r\nhello\r\n0\r\n\r\n",
       Failure::kMalformed},
      {"0x prefix", Mode::kUnsignedWithTrailer, "0x5\r\nhello\r\n0\r\n\r\n", Failure::kMalformed},
      {"space before size", Mode::kUnsignedWithTrailer, " 5\r\nhello\r\n0\r\n\r\n",
       Failure::kMalformed},
      {"17 hex digits", Mode::kUnsignedWithTrailer, "00000000000000005\r\nhello\r\n0\r\n\r\n",
       Failure::kMalformed},
      {"size too small", Mode::kUnsignedWithTrailer, "4\r\nhello\r\n0\r\n\r\n",
       Failure::kMalformed},
      {"header ends in LF only", Mode::kUnsignedWithTrailer, "5\nhello\r\n0\r\n\r\n",
       Failure::kMalformed},
      {"data not followed by CRLF", Mode::kUnsignedWithTrailer, "5\r\nhello0\r\n\r\n",
       Failure::kMalformed},
      {"data followed by LF only", Mode::kUnsignedWithTrailer, "5\r\nhello\n0\r\n\r\n",
       Failure::kMalformed},
      {"stray CR in header", Mode::kUnsignedWithTrailer, "5\r;x\r\nhello\r\n0\r\n\r\n",
       Failure::kMalformed},
      {"missing chunk-signature", Mode::kSigned, "5\r\nhello\r\n" + signed_final,
       Failure::kMalformed},
      {"short chunk-signature", Mode::kSigned, "5;chunk-signature=abc\r\nhello\r\n",
       Failure::kMalformed},
      {"non-hex chunk-signature", Mode::kSigned,
       "5;chunk-signature=" + std::string(64, 'g') + "\r\nhello\r\n", Failure::kMalformed},
      {"other extension in a signed body", Mode::kSigned,
       "5;chunk-extension=" + signature + "\r\nhello\r\n", Failure::kMalformed},
      {"trailer without a trailer mode", Mode::kSigned,
       "0;chunk-signature=" + signature + "\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
       Failure::kMalformed},
      {"trailer without colon", Mode::kUnsignedWithTrailer, "0\r\nx-amz-checksum-crc32\r\n\r\n",
       Failure::kMalformed},
      {"trailer with empty name", Mode::kUnsignedWithTrailer, "0\r\n:AAAAAA==\r\n\r\n",
       Failure::kMalformed},
      {"trailer name with space", Mode::kUnsignedWithTrailer, "0\r\nx amz:1\r\n\r\n",
       Failure::kMalformed},
      {"trailer after the signature", Mode::kSignedWithTrailer,
       "0;chunk-signature=" + signature + "\r\nx-amz-trailer-signature:" + signature +
           "\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
       Failure::kMalformed},
      {"malformed trailer signature", Mode::kSignedWithTrailer,
       "0;chunk-signature=" + signature + "\r\nx-amz-trailer-signature:zz\r\n\r\n",
       Failure::kMalformed},
      {"trailer line ends in LF", Mode::kUnsignedWithTrailer,
       "0\r\nx-amz-checksum-crc32:AAAAAA==\n\r\n", Failure::kMalformed},
      {"data after the final chunk", Mode::kSigned, signed_final + "x", Failure::kMalformed},
      {"second body after the final chunk", Mode::kUnsignedWithTrailer,
       "0\r\n\r\n5\r\nhello\r\n0\r\n\r\n", Failure::kMalformed},
      {"data after the trailers", Mode::kUnsignedWithTrailer,
       "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\nx", Failure::kMalformed},
      {"blank lines after the end", Mode::kUnsignedWithTrailer, "0\r\n\r\n\r\n\r\n",
       Failure::kMalformed},
      {"empty body", Mode::kUnsignedWithTrailer, "", Failure::kIncomplete},
      {"no final chunk", Mode::kUnsignedWithTrailer, "5\r\nhello\r\n", Failure::kIncomplete},
      {"truncated data", Mode::kUnsignedWithTrailer, "a\r\nhello", Failure::kIncomplete},
      {"truncated header", Mode::kUnsignedWithTrailer, "5\r\nhello\r\n0", Failure::kIncomplete},
      {"no end of trailer section", Mode::kUnsignedWithTrailer, "0\r\n", Failure::kIncomplete},
      {"truncated trailer line", Mode::kUnsignedWithTrailer, "0\r\nx-amz-checksum-crc32:AAA",
       Failure::kIncomplete},
      {"signed, no end", Mode::kSigned, "0;chunk-signature=" + signature + "\r\n",
       Failure::kIncomplete},
  };
  for (const auto& test : cases) {
    SCOPED_TRACE(test.name);
    Outcome outcome = DecodeWhole(test.mode, std::nullopt, test.body);
    EXPECT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.failure, test.failure) << outcome.error;
    EXPECT_EQ(outcome.error.rfind("aws-chunked body: ", 0), 0u) << outcome.error;
  }
}

TEST(AwsChunkedDecoder, EveryTruncationIsAnError) {
  Verification verification = ExampleVerification(std::string(64, 'b'));
  std::string body = EncodeSigned(verification, {"hello world", std::string(100, 'x')});
  for (size_t length = 0; length < body.size(); ++length) {
    Decoder decoder(Mode::kSigned, verification);
    Outcome outcome = Decode(decoder, {std::string_view(body).substr(0, length)});
    ASSERT_FALSE(outcome.ok) << "a prefix of " << length << " bytes decoded";
    ASSERT_EQ(outcome.failure, Failure::kIncomplete) << length << ": " << outcome.error;
    ASSERT_FALSE(decoder.done());
  }
}

TEST(AwsChunkedDecoder, OversizeChunkHeader) {
  std::string header(kMaxChunkHeaderBytes + 1, '0');
  Decoder decoder(Mode::kUnsignedWithTrailer, std::nullopt);
  // Fails as soon as the limit is passed, without waiting for a line end.
  auto fed = decoder.Feed(header, [](std::string_view) {});
  ASSERT_FALSE(fed.has_value());
  EXPECT_NE(fed.error().find("chunk header longer than 4096 bytes"), std::string::npos);
  EXPECT_EQ(decoder.failure(), Failure::kMalformed);

  // Exactly at the limit is fine: a 4 KiB line of chunk extensions.
  std::string at_limit = "5;" + std::string(kMaxChunkHeaderBytes - 4, 'e') + "\r\n";
  ASSERT_EQ(at_limit.size(), kMaxChunkHeaderBytes);
  EXPECT_TRUE(
      DecodeWhole(Mode::kUnsignedWithTrailer, std::nullopt, at_limit + "hello\r\n0\r\n\r\n").ok);
  // The limit holds across Feed calls too.
  Decoder pieces(Mode::kUnsignedWithTrailer, std::nullopt);
  Outcome outcome = Decode(pieces, {"5;", std::string(3000, 'e'), std::string(3000, 'e')});
  EXPECT_EQ(outcome.failure, Failure::kMalformed);
}

TEST(AwsChunkedDecoder, OversizeTrailerSection) {
  std::string body = "0\r\n";
  for (int i = 0; body.size() < kMaxTrailerBytes + 100; ++i)
    body += "x-amz-meta-" + std::to_string(i) + ":" + std::string(50, 'v') + "\r\n";
  body += "\r\n";
  Outcome outcome = DecodeWhole(Mode::kUnsignedWithTrailer, std::nullopt, body);
  EXPECT_EQ(outcome.failure, Failure::kMalformed);
  EXPECT_NE(outcome.error.find("trailer section longer than"), std::string::npos);
}

TEST(AwsChunkedDecoder, ErrorsAreSticky) {
  Decoder decoder(Mode::kUnsignedWithTrailer, std::nullopt);
  auto sink = [](std::string_view) {};
  auto first = decoder.Feed("zz\r\n", sink);
  ASSERT_FALSE(first.has_value());
  auto again = decoder.Feed("5\r\nhello\r\n0\r\n\r\n", sink);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), first.error());
  auto finished = decoder.Finish();
  ASSERT_FALSE(finished.has_value());
  EXPECT_EQ(finished.error(), first.error());
}

TEST(AwsChunkedDecoder, DataAfterTheEndInALaterFeed) {
  Decoder decoder(Mode::kUnsignedWithTrailer, std::nullopt);
  auto sink = [](std::string_view) {};
  ASSERT_TRUE(decoder.Feed("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", sink));
  EXPECT_TRUE(decoder.done());
  EXPECT_TRUE(decoder.Feed("", sink));
  EXPECT_FALSE(decoder.Feed("\r\n", sink));
  EXPECT_EQ(decoder.failure(), Failure::kMalformed);
}

TEST(AwsChunkedDecoder, UnsignedTrailers) {
  // As botocore sends it: the CRC-32 of the payload in the trailer.
  std::string data = "Hello, S3!";
  Crc32Hasher crc;
  crc.Update(data);
  std::string checksum = Base64Encode(Crc32Bytes(crc.Finish()));
  std::string body = "a\r\n" + data + "\r\n0\r\nx-amz-checksum-crc32:" + checksum + "\r\n\r\n";
  Decoder decoder(Mode::kUnsignedWithTrailer, std::nullopt);
  Outcome outcome = Decode(decoder, {body});
  ASSERT_TRUE(outcome.ok) << outcome.error;
  EXPECT_EQ(outcome.data, data);
  EXPECT_EQ(decoder.trailers(), (Trailers{{"x-amz-checksum-crc32", checksum}}));

  // Names are lower-cased and values trimmed; several trailers keep their order.
  Decoder several(Mode::kUnsignedWithTrailer, std::nullopt);
  outcome = Decode(several, {"0\r\nX-Amz-Checksum-SHA256:  abc=  \r\nx-amz-meta-a:\t1\r\n\r\n"});
  ASSERT_TRUE(outcome.ok) << outcome.error;
  EXPECT_EQ(several.trailers(),
            (Trailers{{"x-amz-checksum-sha256", "abc="}, {"x-amz-meta-a", "1"}}));
  EXPECT_EQ(several.decoded_bytes(), 0u);

  // No checksum at all (botocore without a checksum algorithm): "0\r\n\r\n".
  Decoder none(Mode::kUnsignedWithTrailer, std::nullopt);
  outcome = Decode(none, {"5\r\nhello\r\n0\r\n\r\n"});
  ASSERT_TRUE(outcome.ok) << outcome.error;
  EXPECT_TRUE(none.done());
  EXPECT_TRUE(none.trailers().empty());

  // Chunk extensions and upper-case hex are accepted in unsigned bodies.
  outcome = DecodeWhole(Mode::kUnsignedWithTrailer, std::nullopt,
                        "A;name=value\r\n0123456789\r\n0\r\n\r\n");
  ASSERT_TRUE(outcome.ok) << outcome.error;
  EXPECT_EQ(outcome.data, "0123456789");

  // A trailer whose closing empty line never came is accepted once the line is complete.
  outcome = DecodeWhole(Mode::kUnsignedWithTrailer, std::nullopt,
                        "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n");
  EXPECT_TRUE(outcome.ok) << outcome.error;
}

TEST(AwsChunkedDecoder, UnsignedCrc32cTrailerInPieces) {
  std::string data(70000, 'q');
  for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>('a' + i % 26);
  std::vector<std::string> chunks = {data.substr(0, 65536), data.substr(65536)};
  std::string checksum = Base64Encode(Crc32Bytes(Crc32c(data)));
  std::string body = EncodeUnsigned(chunks, {{"x-amz-checksum-crc32c", checksum}});
  Decoder decoder(Mode::kUnsignedWithTrailer, std::nullopt);
  Crc32cHasher crc;
  std::string_view rest = body;
  while (!rest.empty()) {
    std::string_view piece = rest.substr(0, 1000);
    rest.remove_prefix(piece.size());
    ASSERT_TRUE(decoder.Feed(piece, [&](std::string_view bytes) { crc.Update(bytes); }));
  }
  ASSERT_TRUE(decoder.Finish());
  ASSERT_EQ(decoder.trailers().size(), 1u);
  EXPECT_EQ(Base64Encode(Crc32Bytes(crc.Finish())), decoder.trailers()[0].second);
  EXPECT_EQ(decoder.decoded_bytes(), data.size());
}

TEST(AwsChunkedDecoder, DecoderMoves) {
  Decoder first(Mode::kUnsignedWithTrailer, std::nullopt);
  std::string out;
  auto sink = [&](std::string_view data) { out.append(data); };
  ASSERT_TRUE(first.Feed("5\r\nhel", sink));
  Decoder second(std::move(first));
  ASSERT_TRUE(second.Feed("lo\r\n0\r\n\r\n", sink));
  ASSERT_TRUE(second.Finish());
  EXPECT_EQ(out, "hello");
}

}  // namespace
}  // namespace lamina::aws_chunked
