#include "lisa/io/checkpoint.h"
