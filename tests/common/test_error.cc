// The two kinds of errors the CLI tells apart (tools/cli/main.cc): Error, the user's input
// (exit 2), and InternalError, a broken invariant of bpusim itself (exit 4). check_invariant
// is a check, not an assert: it throws in release builds too.
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"

namespace bpusim {
namespace {

TEST(Errors, InvariantsThrowInternalErrorsThatAreNotUserErrors) {
  EXPECT_NO_THROW(check_invariant(true, "never built"));
  try {
    check_invariant(1 + 1 == 3, "two plus two is ", 4);
    FAIL() << "check_invariant(false) returned";
  } catch (const Error&) {
    FAIL() << "an invariant was reported as the user's error";
  } catch (const InternalError& e) {
    EXPECT_EQ(std::string(e.what()),
              "internal invariant violated (a bug in bpusim; please report it): two plus two is 4");
  }
  EXPECT_THROW(require(false, "bad input"), Error);
}

}  // namespace
}  // namespace bpusim
