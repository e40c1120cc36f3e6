# Turns a file into a C++ source defining `extern const char *const NAME`, NUL-terminated.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}" "static const unsigned char data[] = {${bytes}0x00};\nextern const char *const ${NAME};\nconst char *const ${NAME} = reinterpret_cast<const char *>(data);\n")
