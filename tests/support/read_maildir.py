#!/usr/bin/python3
"""Prints every message of a Maildir (new/ and cur/) as decoded fields, for
the extended-delivery tests: one block per message, each line
'field: value' with backslash, CR and LF escaped. Parsing is Python's email
package, an implementation independent of the one that wrote the mail."""
import email
import email.policy
import os
import sys


def escape(value):
    return value.replace('\\', '\\\\').replace('\r', '\\r').replace('\n', '\\n')


def main(directory):
    names = []
    for sub in ('new', 'cur'):
        path = os.path.join(directory, sub)
        if os.path.isdir(path):
            names += [os.path.join(path, n) for n in sorted(os.listdir(path))]
    for name in names:
        with open(name, 'rb') as f:
            message = email.message_from_binary_file(f, policy=email.policy.default)
        print('--message')
        for field in ('From', 'To', 'Subject', 'Message-ID', 'Date',
                      'Content-Type', 'Content-Transfer-Encoding',
                      'Auto-Submitted'):
            print('%s: %s' % (field.lower(), escape(str(message.get(field, '')))))
        # Lines as a mail reader shows them (the body travels as CRLF).
        print('body: %s' % escape(message.get_content().replace('\r\n', '\n')))


if __name__ == '__main__':
    main(sys.argv[1])
