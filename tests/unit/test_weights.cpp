#include <gtest/gtest.h>

#include "lisa/error.h"

TEST(Skeleton, ErrorCarriesMessage) { EXPECT_STREQ(lisa::Error("x: y").what(), "x: y"); }
