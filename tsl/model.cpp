#include "tsl/model.hpp"
