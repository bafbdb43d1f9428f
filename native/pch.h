#pragma once
#include <ATen/ATen.h>
#include <napi.h>
